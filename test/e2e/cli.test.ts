// The orderflow CLI as users run it: a real child process (node + tsx) against a real server
// started in-process, asserting on its stdout, stderr and exit code.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

beforeAll(async () => {
  app = await startTestApp();
  api = connect(app.grpcAddress);
  tempDir = await mkdtemp(join(tmpdir(), 'orderflow-cli-'));
});

afterAll(async () => {
  api.close();
  await app.stop();
  await rm(tempDir, { recursive: true, force: true });
});

const startCli = (args: string[]) => startCliAt(app.grpcAddress, args);
const runCli = (args: string[], options: { addr?: string } = {}) => runCliAt(options.addr ?? app.grpcAddress, args);

const createOrder = async (customerId: string, productId = 'cup') =>
  (await api.orders.createOrder({ customerId, items: [{ productId, quantity: 1 }] })).order?.id ?? '';

// Each test runs CLI processes (each a node + tsx start): generous, to catch only a hang on a busy machine.
describe.concurrent('orderflow CLI', { timeout: 120_000 }, () => {
  test('--help lists every command with an example', async ({ expect }) => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const command of [
      'health',
      'products upsert',
      'products list',
      'orders create',
      'orders set-status',
      'orders watch',
      'orders import',
      'orders track',
    ]) {
      expect(stdout).toContain(`  ${command}`);
    }
    expect(stdout).toContain('e.g. orderflow orders create --customer');
  });

  test("--timeout reaches the server as grpc-timeout: its access line has the caller's deadline, not the default", async ({ expect }) => {
    const id = await createOrder('cli-deadline');
    const finished = () => app.logs.filter((l) => l.msg === 'finished call' && l.method === 'GetOrder');
    const before = finished().length;
    const { code } = await runCli(['--timeout', '7', 'orders', 'get', id]);
    expect(code).toBe(0);
    // Other tests' calls (run concurrently) have 10 s: the CLI's default, and the server's.
    const deadlines = finished()
      .slice(before)
      .map((l) => Number(l.deadline_ms));
    expect(deadlines.some((ms) => ms > 0 && ms <= 7000)).toBe(true);
    const unbounded = await runCli(['--timeout', '0', 'orders', 'get', id]);
    expect(unbounded.code).toBe(0);
  });

  test('a usage error prints a short usage on stderr and exits 2', async ({ expect }) => {
    const unknown = await runCli(['orders', 'frobnicate']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain("error: unknown command 'orders frobnicate'");
    const missing = await runCli(['orders', 'get']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "error: missing order ID\nUsage: orderflow orders get ID\nRun 'orderflow orders get --help' for details.\n",
    );
  });

  test('health reports SERVING; an unreachable address is UNAVAILABLE naming it', async ({ expect }) => {
    const health = await runCli(['health']);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toEqual({ status: 'SERVING' });
    const down = await runCli(['health'], { addr: '127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error: UNAVAILABLE: could not reach 127\.0\.0\.1:1/);
  });

  test('products upsert, get and list --all print proto3 JSON', async ({ expect }) => {
    const upserted = await runCli(['products', 'upsert', '--id', 'cli-mug', '--name', 'Mug', '--price', '7.5', '--currency', 'EUR']);
    expect(upserted.code).toBe(0);
    expect(JSON.parse(upserted.stdout)).toMatchObject({ product: { id: 'cli-mug', price: { currencyCode: 'EUR', amountMinor: '750' } } });
    const got = await runCli(['products', 'get', 'espresso']);
    expect(got.code).toBe(0);
    const { product } = JSON.parse(got.stdout) as { product: { price: unknown; createTime: string } };
    expect(product.price).toEqual({ currencyCode: 'EUR', amountMinor: '1250' });
    expect(product.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const listed = await runCli(['products', 'list', '--page-size', '1', '--all']);
    expect(listed.code).toBe(0);
    const { products } = JSON.parse(listed.stdout) as { products: { id: string }[] };
    expect(products.map((p) => p.id)).toEqual(expect.arrayContaining(['cup', 'espresso', 'tea']));
  });

  test('orders create from flags, then get', async ({ expect }) => {
    const created = await runCli(['orders', 'create', '--customer', 'cli-flags', '--item', 'espresso:2', '--item', 'cup', '--key', 'k-1']);
    expect(created.code).toBe(0);
    const { order } = JSON.parse(created.stdout) as { order: { id: string } };
    expect(order).toMatchObject({
      customerId: 'cli-flags',
      total: { currencyCode: 'EUR', amountMinor: '2900' },
      status: 'ORDER_STATUS_PENDING',
      version: '1',
    });
    const got = await runCli(['orders', 'get', order.id]);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toEqual({ order });
  });

  test('orders create --json takes a proto3 JSON CreateOrderRequest', async ({ expect }) => {
    const json = JSON.stringify({ customerId: 'cli-json', items: [{ productId: 'tea', quantity: 3 }], idempotencyKey: 'j-1' });
    const { code, stdout } = await runCli(['orders', 'create', '--json', json]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ order: { customerId: 'cli-json', total: { currencyCode: 'USD', amountMinor: '2700' } } });
  });

  test('invalid input exits 1 with INVALID_ARGUMENT: the summary once, then each field once', async ({ expect }) => {
    const { code, stdout, stderr } = await runCli([
      'orders',
      'create',
      '--customer',
      'cli-bad',
      '--item',
      'espresso:0',
      '--item',
      'cup:-3',
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('error: INVALID_ARGUMENT: invalid request');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}items\[0\]\.quantity: \S/),
      expect.stringMatching(/^ {2}items\[1\]\.quantity: \S/),
    ]);
    // The server's message lists the fields too (for clients without rich details); not repeated here.
    expect(stderr.match(/items\[0\]\.quantity/g)).toHaveLength(1);
  });

  test('orders list --status filters by status', async ({ expect }) => {
    const paid = await createOrder('cli-list');
    await createOrder('cli-list');
    await api.orders.updateOrderStatus({ id: paid, status: OrderStatus.ORDER_STATUS_PAID });
    const { code, stdout } = await runCli(['orders', 'list', '--customer', 'cli-list', '--status', 'paid']);
    expect(code).toBe(0);
    const { orders } = JSON.parse(stdout) as { orders: { id: string; status: string }[] };
    expect(orders.map((o) => [o.id, o.status])).toEqual([[paid, 'ORDER_STATUS_PAID']]);
  });

  test('orders set-status moves an order; an illegal move is FAILED_PRECONDITION', async ({ expect }) => {
    const id = await createOrder('cli-status');
    const moved = await runCli(['orders', 'set-status', id, 'ORDER_STATUS_PAID', '--expected-version', '1']);
    expect(moved.code).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ order: { id, status: 'ORDER_STATUS_PAID', version: '2' } });
    const illegal = await runCli(['orders', 'set-status', id, 'pending']);
    expect(illegal.code).toBe(1);
    expect(illegal.stderr).toMatch(/^error: FAILED_PRECONDITION: .+/);
  });

  test('orders watch prints an NDJSON line per event and stops on SIGINT with exit 130 and where to resume', async ({ expect }) => {
    const watch = startCli(['orders', 'watch', '--customer', 'cli-watch']);
    const id = await createOrder('cli-watch');
    const stdout = await watch.waitFor('stdout', id);
    watch.child.kill('SIGINT');
    const { code, stderr } = await watch.exited;
    expect(code).toBe(130);
    const [first] = jsonLines(stdout);
    expect(first?.event).toMatchObject({ type: 'ORDER_EVENT_TYPE_CREATED', order: { id, status: 'ORDER_STATUS_PENDING' } });
    expect(stderr).toContain(`note: stopped; last sequence seen: ${first?.event.sequence}; resume with --after ${first?.event.sequence}\n`);
  });

  test('orders import streams an NDJSON file and reports per-item errors', async ({ expect }) => {
    const file = join(tempDir, 'orders.ndjson');
    const line = (productId: string, key: string) =>
      JSON.stringify({ customerId: 'cli-import', items: [{ productId, quantity: 2 }], idempotencyKey: key });
    await writeFile(file, [line('cup', 'i-1'), line('no-such-product', 'i-2'), '', line('espresso', 'i-3'), ''].join('\n'));
    const { code, stdout } = await runCli(['orders', 'import', file]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { created: number; failed: number; errors: { index: number; code: string; message: string }[] };
    expect(result).toMatchObject({ created: 2, failed: 1, errors: [{ index: 1, code: 'INVALID_ARGUMENT' }] });
    expect(result.errors[0]?.message).toContain('no-such-product');
  });

  test('orders import stops at a line that is not JSON and exits 2', async ({ expect }) => {
    const file = join(tempDir, 'broken.ndjson');
    await writeFile(
      file,
      ['{"customerId":"cli-broken","items":[{"productId":"cup","quantity":1}]}', '{not json', '{"customerId":"cli-broken"}'].join('\n'),
    );
    const { code, stdout, stderr } = await runCli(['orders', 'import', file]);
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({ created: 1, orders: [{ orderId: expect.any(String) as unknown }] });
    expect(stderr).toMatch(/^error: line 2: not valid JSON/);
  });

  test('orders track follows ids added on stdin', async ({ expect }) => {
    const id = await createOrder('cli-track');
    const track = startCli(['orders', 'track']);
    track.child.stdin.write(`+${id}\n`);
    await track.waitFor('stderr', `tracking ${id}`);
    // The CLI has sent the request, but nothing tells when the server applied it. Requests are
    // applied in order, so track a fresh probe order and pay it: once a probe's event shows, the
    // id before it is tracked. (A probe paid before it was applied never shows: try another.)
    for (let probed = false; !probed;) {
      const probe = await createOrder('cli-track-probe');
      track.child.stdin.write(`+${probe}\n`);
      await api.orders.updateOrderStatus({ id: probe, status: OrderStatus.ORDER_STATUS_PAID });
      probed = await track.waitFor('stdout', probe, 2_000).then(
        () => true,
        () => false,
      ); // pacing only
    }
    await api.orders.updateOrderStatus({ id, status: OrderStatus.ORDER_STATUS_PAID });
    const stdout = await track.waitFor('stdout', id);
    track.child.kill('SIGINT');
    const { code } = await track.exited;
    expect(code).toBe(130);
    expect(jsonLines(stdout).find((line) => line.event.order.id === id)?.event).toMatchObject({
      type: 'ORDER_EVENT_TYPE_STATUS_CHANGED',
      order: { id, status: 'ORDER_STATUS_PAID' },
    });
  });
});
