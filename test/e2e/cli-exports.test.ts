// `orderflow exports ...` as users run it: a real CLI process against a real server started
// in-process: create, watch to SUCCEEDED (NDJSON off a terminal), download to a file checked
// against the job's SHA-256, and a download resumed from a partial FILE.part.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { progressBar } from '../../src/cli/export-commands.js';
import { ExportJobStatus } from '../../src/gen/orderflow/exports/v1/export_service.js';
import { jsonLines, runCli } from '../support/cli-process.js';
import { connect, type Clients } from '../support/clients.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: Clients;
let dir: string;

beforeAll(async () => {
  app = await startTestApp();
  api = connect(app.grpcAddress);
  dir = await mkdtemp(join(tmpdir(), 'orderflow-cli-exports-'));
  for (let i = 0; i < 20; i++) await api.orders.createOrder({ customerId: 'cli-exports', items: [{ productId: 'cup', quantity: 1 + i }], idempotencyKey: '' });
});

afterAll(async () => {
  api.close();
  await app.stop();
  await rm(dir, { recursive: true, force: true });
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test('exports create, watch and download --output (resumed from FILE.part), checked against the job', { timeout: 120_000 }, async () => {
  const created = await runCli(app.grpcAddress, ['exports', 'create', '--format', 'csv', '--customer', 'cli-exports', '--key', 'cli-1']);
  expect(created.code, created.stderr).toBe(0);
  const job = (JSON.parse(created.stdout) as { job: { id: string; status: string } }).job;
  expect(job.status).toBe('EXPORT_JOB_STATUS_QUEUED');

  const watched = await runCli(app.grpcAddress, ['exports', 'watch', job.id]);
  expect(watched.code, watched.stderr).toBe(0);
  const states = jsonLines<{ job: { status: string; sha256?: string; sizeBytes?: string } }>(watched.stdout);
  const final = states.at(-1)!.job;
  expect(final.status).toBe('EXPORT_JOB_STATUS_SUCCEEDED');

  const file = join(dir, 'orders.csv');
  const whole = await runCli(app.grpcAddress, ['exports', 'download', job.id, '--output', file]);
  expect(whole.code, whole.stderr).toBe(0);
  const bytes = await readFile(file);
  expect(sha256(bytes)).toBe(final.sha256);
  expect(BigInt(bytes.length)).toBe(BigInt(final.sizeBytes ?? '0'));
  expect(bytes.toString('utf8').split('\r\n').length).toBe(22); // header, 20 orders, ''

  // An interrupted download left the first 100 bytes: the same command continues from there.
  const again = join(dir, 'again.csv');
  await writeFile(`${again}.part`, bytes.subarray(0, 100));
  const resumed = await runCli(app.grpcAddress, ['exports', 'download', job.id, '--output', again]);
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(resumed.stderr).toContain('resuming');
  expect((await readFile(again)).equals(bytes)).toBe(true);
  expect(existsSync(`${again}.part`)).toBe(false);

  const stdout = await runCli(app.grpcAddress, ['exports', 'get', 'not-a-uuid']);
  expect(stdout.code).toBe(1);
  expect(stdout.stderr).toContain('INVALID_ARGUMENT');
});

test('the progress bar shows the share done, the counts and the status', () => {
  const job = { id: 'j', status: ExportJobStatus.EXPORT_JOB_STATUS_RUNNING, format: 1, ordersTotal: 200n, ordersDone: 50n, sizeBytes: 0n, sha256: '', error: '', createTime: undefined, updateTime: undefined };
  expect(progressBar(job, 8)).toBe('[##......]  25%  50/200 orders  RUNNING');
  expect(progressBar({ ...job, status: ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ordersTotal: 0n, ordersDone: 0n }, 4)).toBe('[####] 100%  0/0 orders  SUCCEEDED');
});
