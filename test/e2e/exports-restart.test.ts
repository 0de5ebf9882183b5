// The embedded default after a crash: a data directory left with a QUEUED job still in the
// outbox and a RUNNING job that had written part of its file (attempt 1). A server started on it
// resumes both: each SUCCEEDS with its whole file, and the interrupted one keeps only its new
// attempt's chunks.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openPgliteDriver } from '../../src/adapters/postgres/pglite-driver.js';
import { openSqlStore } from '../../src/adapters/postgres/postgres-store.js';
import { ExportJobStatus } from '../../src/gen/orderflow/exports/v1/export_service.js';
import { anExportJob } from '../contracts/export-job-store.contract.js';
import { anOrder } from '../support/builders.js';
import { connect, type Clients } from '../support/clients.js';
import { freshEmbeddedDataDir } from '../support/embedded-template.js';
import { download, parseCsv, sha256Hex, watchToEnd } from '../support/exports.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const QUEUED = '00000000-0000-7000-8000-0000000000e1';
const INTERRUPTED = '00000000-0000-7000-8000-0000000000e2';
let dir: Awaited<ReturnType<typeof freshEmbeddedDataDir>>;
let app: TestApp;
let api: Clients;

beforeAll(async () => {
  dir = await freshEmbeddedDataDir();
  const driver = await openPgliteDriver(dir.dataDir);
  const store = await openSqlStore(driver, { migrate: true });
  for (let i = 1; i <= 30; i++)
    await store.orders.create(anOrder({ id: `00000000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`, customerId: 'restart' }));
  const filter = { customerId: 'restart', status: undefined };
  await store.exports.create(anExportJob({ id: QUEUED, ownerCustomerId: '', requester: 'anonymous-dev', filter }));
  await store.exports.create(anExportJob({ id: INTERRUPTED, ownerCustomerId: '', requester: 'anonymous-dev', filter, format: 'NDJSON' }));
  await store.exports.markDispatched([INTERRUPTED]); // handed to the in-process runner, which then died
  await store.exports.startAttempt(INTERRUPTED, 30, new Date());
  await store.exports.writeChunk(INTERRUPTED, 1, 0, { offset: 0, data: new TextEncoder().encode('{"partial":') });
  await store.close();
  app = await startTestApp({ config: { store: { kind: 'embedded', dataDir: dir.dataDir } } });
  api = connect(app.grpcAddress);
}, 120_000);

afterAll(async () => {
  api?.close();
  await app?.stop();
  dir?.cleanup();
});

test('a restart resumes the queued and the interrupted job to SUCCEEDED, each file whole', async () => {
  const queued = (await watchToEnd(api, QUEUED)).at(-1)!;
  expect(queued).toMatchObject({ status: ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ordersDone: 30n });
  const csv = await download(api, QUEUED);
  expect(sha256Hex(csv.data)).toBe(queued.sha256);
  expect(parseCsv(csv.data.toString('utf8')).length).toBe(31);

  const resumed = (await watchToEnd(api, INTERRUPTED)).at(-1)!;
  expect(resumed).toMatchObject({ status: ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ordersDone: 30n });
  const ndjson = await download(api, INTERRUPTED);
  expect(sha256Hex(ndjson.data)).toBe(resumed.sha256);
  const lines = ndjson.data.toString('utf8').trimEnd().split('\n');
  expect(lines.length).toBe(30);
  expect(lines.every((l) => (JSON.parse(l) as { customerId: string }).customerId === 'restart')).toBe(true);
  expect(app.logs.some((l) => l.msg === 'resuming unfinished export jobs' && l.jobs === 2)).toBe(true);
});
