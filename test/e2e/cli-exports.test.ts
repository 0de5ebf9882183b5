// `orderflow exports ...` as users run it: real CLI processes against a real server on the
// in-process runner (the embedded default's code path), checked against the API's own download.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { ExportFormat } from '../../src/gen/orderflow/exports/v1/export_service.js';
import { OrderStatus, type ImportOrdersRequest } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { jsonLines, runCli as runCliAt } from '../support/cli-process.js';
import { connect, type Clients } from '../support/clients.js';
import { download, sha256Hex, watchToEnd } from '../support/exports.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: Clients;
let dir: string;
/** A finished CSV export made through the API, and its bytes as the API downloads them. */
let done: { id: string; data: Buffer };

beforeAll(async () => {
  app = await startTestApp({ config: { exports: { pageSize: 64, progressIntervalMs: 1 } } });
  api = connect(app.grpcAddress);
  dir = await mkdtemp(join(tmpdir(), 'orderflow-cli-exports-'));
  async function* requests(): AsyncGenerator<ImportOrdersRequest> {
    for (let i = 0; i < 700; i++)
      yield { order: { customerId: i % 2 === 0 ? 'c1' : 'c2', items: [{ productId: 'cup', quantity: 1 + (i % 4) }], idempotencyKey: '' } };
  }
  await api.orders.importOrders(requests());
  const { job } = await api.exports.exportOrders({
    customerId: '',
    status: OrderStatus.ORDER_STATUS_UNSPECIFIED,
    format: ExportFormat.EXPORT_FORMAT_CSV,
    idempotencyKey: 'cli-fixture',
  });
  await watchToEnd(api, job!.id);
  done = { id: job!.id, data: (await download(api, job!.id)).data };
}, 120_000);

afterAll(async () => {
  api.close();
  await app.stop();
  await rm(dir, { recursive: true, force: true });
});

const runCli = (args: string[]) => runCliAt(app.grpcAddress, args);
type JobJson = {
  job: { id: string; status: string; ordersTotal: string; ordersDone: string; sha256: string; sizeBytes: string; format: string };
};

describe.concurrent('orderflow exports', { timeout: 120_000 }, () => {
  test('create --watch follows the job to SUCCEEDED as JSON lines (no terminal: no bar), and the same key is the same job', async ({
    expect,
  }) => {
    const watched = await runCli(['exports', 'create', '--format', 'ndjson', '--customer', 'c1', '--key', 'cli-watch', '--watch']);
    expect(watched.code).toBe(0);
    const states = jsonLines<JobJson>(watched.stdout);
    const last = states.at(-1)!.job;
    expect(last).toMatchObject({
      status: 'EXPORT_JOB_STATUS_SUCCEEDED',
      format: 'EXPORT_FORMAT_NDJSON',
      ordersTotal: '350',
      ordersDone: '350',
    });
    expect(watched.stderr).toContain(`orderflow exports download ${last.id}`);
    expect(watched.stderr).not.toContain('[#');

    const again = await runCli(['exports', 'create', '--format', 'ndjson', '--customer', 'c1', '--key', 'cli-watch']);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as JobJson).job.id).toBe(last.id);
    expect(again.stderr).toContain(`orderflow exports watch ${last.id}`);
  });

  test('get prints the job; an unknown job is NOT_FOUND (exit 1)', async ({ expect }) => {
    const got = await runCli(['exports', 'get', done.id]);
    expect(got.code).toBe(0);
    expect((JSON.parse(got.stdout) as JobJson).job).toMatchObject({
      id: done.id,
      status: 'EXPORT_JOB_STATUS_SUCCEEDED',
      sha256: sha256Hex(done.data),
    });
    const unknown = await runCli(['exports', 'get', '0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: NOT_FOUND');
  });

  test('download writes the whole file, checked by its SHA-256, and prints a summary', async ({ expect }) => {
    const file = join(dir, 'all.csv');
    const result = await runCli(['exports', 'download', done.id, '--output', file]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ file, bytes: done.data.length, sha256: sha256Hex(done.data) });
    expect(await readFile(file)).toEqual(done.data);
    await expect(stat(`${file}.part`)).rejects.toThrow('ENOENT');
    const refused = await runCli(['exports', 'download', done.id, '--output', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('exists; pass --force');
    expect((await runCli(['exports', 'download', done.id, '--output', file, '--force'])).code).toBe(0);
  });

  test('an interrupted download resumes from FILE.part; a part that does not match is removed, exit 1', async ({ expect }) => {
    expect(done.data.length).toBeGreaterThan(70_000); // two chunks of at most 64 KiB: the resume starts inside the second
    const file = join(dir, 'resumed.csv');
    await writeFile(`${file}.part`, done.data.subarray(0, 70_000));
    const resumed = await runCli(['exports', 'download', done.id, '--output', file]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`resuming ${file}.part at byte 70000 of ${done.data.length}`);
    expect(await readFile(file)).toEqual(done.data);

    const corrupt = join(dir, 'corrupt.csv');
    await writeFile(`${corrupt}.part`, Buffer.alloc(1000, 'x'));
    const failed = await runCli(['exports', 'download', done.id, '--output', corrupt]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('does not match the export');
    await expect(stat(`${corrupt}.part`)).rejects.toThrow('ENOENT');
    await expect(stat(corrupt)).rejects.toThrow('ENOENT');
  });

  test('download --output - writes the bytes to stdout', async ({ expect }) => {
    const result = await runCli(['exports', 'download', done.id, '--output', '-']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(done.data.toString('utf8'));
  });

  test('usage errors exit 2 and say what is wrong', async ({ expect }) => {
    const noFormat = await runCli(['exports', 'create']);
    expect(noFormat.code).toBe(2);
    expect(noFormat.stderr).toContain('missing --format (csv or ndjson)');
    const badFormat = await runCli(['exports', 'create', '--format', 'xml']);
    expect(badFormat.stderr).toContain("unknown format 'xml'; use csv or ndjson");
    const noId = await runCli(['exports', 'get']);
    expect(noId.code).toBe(2);
  });
});
