// What the CLI tells its user when input is missing, a stream stops or stdin ends, and the exit
// codes --help promises: real CLI processes, real SIGINTs, against a real server on port 0.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { OrderStatus } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { jsonLines, runCli as runCliAt, startCli as startCliAt } from '../support/cli-process.js';
import { connect, type Clients } from '../support/clients.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: Clients;
let tempDir: string;
let help: string;

beforeAll(async () => {
  app = await startTestApp();
  api = connect(app.grpcAddress);
  tempDir = await mkdtemp(join(tmpdir(), 'orderflow-cli-messages-'));
  help = (await runCliAt(app.grpcAddress, ['--help'])).stdout;
});

afterAll(async () => {
  api.close();
  await app.stop();
  await rm(tempDir, { recursive: true, force: true });
});

const startCli = (args: string[]) => startCliAt(app.grpcAddress, args);
const runCli = (args: string[], stdin = '') => runCliAt(app.grpcAddress, args, stdin);

const createOrder = async (customerId: string) =>
  (await api.orders.createOrder({ customerId, items: [{ productId: 'cup', quantity: 1 }] })).order?.id ?? '';
const orderLine = (customerId: string, key: string) =>
  JSON.stringify({ customerId, items: [{ productId: 'cup', quantity: 2 }], idempotencyKey: key });

/** The exit code `--help` documents for `what`, e.g. "interrupted by Ctrl-C". */
function documentedExitCode(what: string): number {
  const match = new RegExp(`(\\d+) ${what}`).exec(help.replace(/\s+/g, ' '));
  if (match === null) throw new Error(`--help documents no exit code for "${what}":\n${help}`);
  return Number(match[1]);
}

/** Resolves once the server holds `count` orders of `customerId` (the bound only catches a hang). */
async function untilOrders(customerId: string, count: number): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 60_000; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if ((await api.orders.listOrders({ customerId })).orders.length >= count) return;
  }
  throw new Error(`the server never held ${count} orders of ${customerId}`);
}

// Each test runs a few CLI processes (each a node + tsx start): generous, to catch only a hang
// on a busy machine.
describe.concurrent('CLI messages and exit codes', { timeout: 120_000 }, () => {
  test('a missing or unreadable import file is an input error: one sentence, exit 2 as --help says', async ({ expect }) => {
    const missing = join(tempDir, 'missing.ndjson');
    const result = await runCli(['orders', 'import', missing]);
    expect(result).toMatchObject({ code: documentedExitCode('usage or input error'), stdout: '' });
    expect(result.stderr).toBe(`error: cannot read the import file ${missing}: no such file\n`);
    const directory = join(tempDir, 'a-directory');
    await mkdir(directory);
    const notAFile = await runCli(['orders', 'import', directory]);
    expect(notAFile).toMatchObject({ code: 2, stdout: '', stderr: `error: cannot read the import file ${directory}: it is a directory\n` });
    const json = await runCli(['orders', 'create', '--json', `@${missing}`]);
    expect(json).toMatchObject({ code: 2, stdout: '', stderr: `error: cannot read the --json file ${missing}: no such file\n` });
  });

  test('Ctrl-C (a real SIGINT) stops a watch with the exit code --help documents for it', async ({ expect }) => {
    const watch = startCli(['orders', 'watch', '--customer', 'cli-msg-sigint']);
    // The note is written once the SIGINT handler is in place and the call started.
    await watch.waitFor('stderr', 'note: following events from the start');
    watch.child.kill('SIGINT');
    const { code, signal, stderr } = await watch.exited;
    expect({ code, signal }).toEqual({ code: documentedExitCode('interrupted by Ctrl-C'), signal: null });
    expect(code).toBe(130);
    expect(stderr).toContain('note: stopped; no event was seen; resume with --after 0\n');
  });

  test('watch --after past the last event says it is waiting, and on Ctrl-C that no event was seen', async ({ expect }) => {
    const after = '1000000000000';
    await createOrder('cli-msg-after');
    const watch = startCli(['orders', 'watch', '--customer', 'cli-msg-after', '--after', after]);
    await watch.waitFor('stderr', `note: following events after sequence ${after} (history first, then live); Ctrl-C to stop\n`);
    watch.child.kill('SIGINT');
    const { code, stdout, stderr } = await watch.exited;
    expect(code).toBe(130);
    expect(stdout).toBe('');
    expect(stderr).toContain(`note: stopped; no event was seen after sequence ${after}; resume with --after ${after}\n`);
    expect(stderr).not.toContain('last sequence seen');
  });

  test('Ctrl-C during an import from stdin exits 130 and says the lines sent may have been imported', async ({ expect }) => {
    const customer = 'cli-msg-import-int';
    const importing = startCli(['orders', 'import', '-']);
    importing.child.stdin.write(`${orderLine(customer, 'int-1')}\n`);
    await untilOrders(customer, 1);
    importing.child.kill('SIGINT');
    const { code, stdout, stderr } = await importing.exited;
    expect(code).toBe(130);
    expect(stdout).toBe('');
    expect(stderr).toContain('note: 1 line(s) were sent before Ctrl-C and may have been imported; run the import again to finish');
    expect(stderr).toContain('interrupted: the call was cancelled\n');
  });

  test('orders import prints the id of every order it created or found, and those are the orders on the server', async ({ expect }) => {
    const customer = 'cli-msg-import-ids';
    const file = join(tempDir, 'ids.ndjson');
    await writeFile(file, `${orderLine(customer, 'ids-1')}\n${orderLine(customer, 'ids-2')}\n`);
    const first = await runCli(['orders', 'import', file]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const created = JSON.parse(first.stdout) as { created: number; orders: { index?: number; orderId: string; duplicate?: boolean }[] };
    expect(created.created).toBe(2);
    expect(created.orders.map((o) => [o.index ?? 0, o.duplicate ?? false])).toEqual([
      [0, false],
      [1, false],
    ]);
    const again = JSON.parse((await runCli(['orders', 'import', file])).stdout) as {
      duplicates: number;
      orders: { orderId: string; duplicate?: boolean }[];
    };
    expect(again.duplicates).toBe(2);
    expect(again.orders.map((o) => o.orderId)).toEqual(created.orders.map((o) => o.orderId));
    expect(again.orders.every((o) => o.duplicate === true)).toBe(true);
    const onServer = (await api.orders.listOrders({ customerId: customer })).orders.map((order) => order.id);
    expect([...onServer].sort()).toEqual(created.orders.map((o) => o.orderId).sort());
  });

  test('orders track acknowledges the ids of its command line, says when stdin ends, and keeps following', async ({ expect }) => {
    const id = await createOrder('cli-msg-track');
    const track = startCli(['orders', 'track', id]);
    track.child.stdin.end();
    await track.waitFor('stderr', `tracking ${id}\n`);
    await track.waitFor('stderr', 'note: end of stdin: the tracked set (1 order) can no longer change; following it until Ctrl-C\n');
    expect(track.child.exitCode).toBeNull();
    // Nothing tells when the server applied the track request: move the order until a change is
    // reported (each move is a new event). The bound per move only catches a hang.
    let stdout = '';
    for (const status of [OrderStatus.ORDER_STATUS_PAID, OrderStatus.ORDER_STATUS_SHIPPED, OrderStatus.ORDER_STATUS_DELIVERED]) {
      await api.orders.updateOrderStatus({ id, status });
      stdout = await track.waitFor('stdout', id, 10_000).catch(() => '');
      if (stdout !== '') break;
    }
    track.child.kill('SIGINT');
    const { code } = await track.exited;
    expect(code).toBe(130);
    expect(jsonLines(stdout)[0]?.event).toMatchObject({ type: 'ORDER_EVENT_TYPE_STATUS_CHANGED', order: { id } });
  });

  test('orders track skips a line that is no order id, and ends (exit 0) when stdin ends with none tracked', async ({ expect }) => {
    const id = await createOrder('cli-msg-track-none');
    // A malformed id sent to the server would end the whole stream with INVALID_ARGUMENT (exit 1).
    const result = await runCli(['orders', 'track'], `+${id}\nhello\n-${id}\n`);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe(
      `tracking ${id}\nline 2: ignored, expected +ID, -ID or ID where ID is an order id (a UUID), got 'hello'\nuntracking ${id}\n` +
        'note: end of stdin and no order is tracked: nothing to follow\n',
    );
  });
});
