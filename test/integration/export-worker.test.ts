// Export jobs across processes on real PostgreSQL and Redis: a server (in this process) records
// jobs and queues them on BullMQ; the worker runs as a real child process (src/cmd/worker.ts).
// The test holds a worker mid-job with a lock on export_chunks that it takes itself (the worker's
// first chunk write waits on it): then kill -9 and a fresh worker completes the job — the file
// whole (SHA-256 as a fresh export of the same filter), once (only the winning attempt's chunks);
// and SIGTERM past shutdown.timeoutMs hands the job back for another worker. Own database, own
// BullMQ prefix and queue name.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ExportFormat, ExportJobStatus } from '../../src/gen/orderflow/exports/v1/export_service.js';
import type { ImportOrdersRequest } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { connect, type Clients } from '../support/clients.js';
import { download, parseCsv, sha256Hex, watchToEnd } from '../support/exports.js';
import { deleteByPrefix, REDIS, uniquePrefix } from '../support/redis.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { startWorkerProcess } from '../support/server-process.js';
import { startTestApp, testConfigDocument, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const available =
  (await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port)) && (await serviceAvailable('Redis', REDIS.host, REDIS.port));
const database = `orderflow_exports_${randomBytes(4).toString('hex')}`;
const prefix = uniquePrefix('export-worker');
const store = { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, database, user: POSTGRES.user, migrate: true };
const overrides = {
  services: { exports: false },
  exports: {
    queue: { kind: 'bullmq', ...REDIS, prefix, queueName: 'kill-test', lockDurationMs: 2000, stalledIntervalMs: 1000 },
    pageSize: 50,
    progressIntervalMs: 1,
    concurrency: 1,
  },
  shutdown: { timeoutMs: 300, drainDelayMs: 0, closeTimeoutMs: 3000 },
  log: { level: 'info', format: 'json' },
};
const ORDERS = 1500; // about 140 KB of CSV: three chunks

describe.skipIf(!available)('export jobs on BullMQ with the worker as a child process', () => {
  let server: TestApp;
  let api: Clients;
  let sql: pg.Client;
  const workers: { child: { kill(signal: NodeJS.Signals): boolean; exitCode: number | null }; cleanup(): void }[] = [];

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    server = await startTestApp({ config: { store, ...overrides } });
    api = connect(server.grpcAddress);
    sql = new pg.Client({ ...POSTGRES, database });
    await sql.connect();
    async function* requests(): AsyncGenerator<ImportOrdersRequest> {
      for (let i = 0; i < ORDERS; i++)
        yield { order: { customerId: `c${i % 7}`, items: [{ productId: 'espresso', quantity: 1 + (i % 5) }], idempotencyKey: '' } };
    }
    expect((await api.orders.importOrders(requests())).created).toBe(ORDERS);
  }, 180_000);

  afterAll(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
      w.cleanup();
    }
    api?.close();
    await sql?.end();
    await server?.stop();
    await deleteByPrefix(prefix);
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  const startWorker = async () => {
    const worker = await startWorkerProcess(testConfigDocument(store, overrides));
    workers.push(worker);
    return worker;
  };
  const exportCsv = async () =>
    (await api.exports.exportOrders({ customerId: '', status: 0, format: ExportFormat.EXPORT_FORMAT_CSV, idempotencyKey: '' })).job!;
  const jobRow = async (id: string) =>
    (
      await sql.query<{ status: string; attempts: number; orders_done: string }>(
        'SELECT status, attempts, orders_done FROM export_jobs WHERE id = $1',
        [id],
      )
    ).rows[0];
  /** Holds every chunk write (the test's own lock) until the returned function releases it. */
  const holdChunkWrites = async () => {
    const gate = new pg.Client({ ...POSTGRES, database });
    await gate.connect();
    await gate.query('BEGIN');
    await gate.query('LOCK TABLE export_chunks IN SHARE MODE');
    return async () => {
      await gate.query('COMMIT');
      await gate.end();
    };
  };
  const waitingChunkWrites = async () =>
    (
      await sql.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO export_chunks%'",
        [database],
      )
    ).rows;

  test('kill -9 of the worker mid-job: a new worker completes it, the file whole and stored once', async () => {
    const release = await holdChunkWrites();
    const first = await startWorker();
    const job = await exportCsv();
    await until(
      'the worker is writing the job (its first chunk waits on the test lock)',
      async () => (await waitingChunkWrites()).length === 1,
    );
    expect(await jobRow(job.id)).toMatchObject({ status: 'RUNNING', attempts: 1 });
    expect(Number((await jobRow(job.id))?.orders_done)).toBeGreaterThan(0);

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // The killed worker's backend still waits on the lock; end it, as PostgreSQL would once it noticed.
    for (const { pid } of await waitingChunkWrites()) await sql.query('SELECT pg_terminate_backend($1)', [pid]);
    await release();

    await startWorker();
    const states = await watchToEnd(api, job.id);
    const final = states.at(-1)!;
    expect(final).toMatchObject({ status: ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ordersDone: BigInt(ORDERS) });
    expect((await jobRow(job.id))?.attempts).toBe(2);
    const chunks = await sql.query<{ attempt: number; n: string }>(
      'SELECT attempt, count(*) AS n FROM export_chunks WHERE job_id = $1 GROUP BY attempt',
      [job.id],
    );
    expect(chunks.rows.map((r) => r.attempt)).toEqual([2]);

    // Served by the server, which ran no job; the same bytes as a fresh export of the same filter.
    const { data } = await download(api, job.id);
    expect(sha256Hex(data)).toBe(final.sha256);
    const rows = parseCsv(data.toString('utf8')).slice(1);
    expect(rows.length).toBe(ORDERS);
    expect(new Set(rows.map((r) => r[0])).size).toBe(ORDERS);
    const fresh = (await watchToEnd(api, (await exportCsv()).id)).at(-1)!;
    expect(fresh.status).toBe(ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED);
    expect(fresh.sha256).toBe(final.sha256);
  });

  test('SIGTERM past shutdown.timeoutMs hands the running job back; another worker finishes it; exit code 1', async () => {
    const release = await holdChunkWrites();
    const worker = workers.at(-1)!;
    const job = await exportCsv();
    await until('the worker is writing the job', async () => (await waitingChunkWrites()).length === 1);
    const stopping = worker as unknown as Awaited<ReturnType<typeof startWorkerProcess>>;
    stopping.child.kill('SIGTERM');
    await stopping.output.waitFor((l) => l.msg === 'running export jobs did not finish within the shutdown timeout; handing them back');
    await release();
    expect((await stopping.exited).code).toBe(1);
    expect(
      stopping.output.lines.some((l) => l.msg === 'export job interrupted by shutdown; handed back as QUEUED' && l.job_id === job.id),
    ).toBe(true);
    expect((await jobRow(job.id))?.status).toBe('QUEUED');

    await startWorker();
    const final = (await watchToEnd(api, job.id)).at(-1)!;
    expect(final).toMatchObject({ status: ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ordersDone: BigInt(ORDERS) });
    expect(sha256Hex((await download(api, job.id)).data)).toBe(final.sha256);
  });
});
