// The export maintenance across processes, on real PostgreSQL and a redis-server of this test's
// own started WITHOUT persistence: a server (in this process, running no jobs) and the worker as a
// real child process. Jobs BullMQ gave up (failed), dropped (removed) or lost (its Redis
// restarted: the jobs were already dispatched, their outbox entries gone) are queued again by the
// reconcile sweep once their row is older than exports.staleAfterMs, and complete; finished jobs
// past exports.retentionHours are deleted with their files (NOT_FOUND), recent ones stay.
import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ExportFormat, ExportJobStatus } from '../../src/gen/orderflow/exports/v1/export_service.js';
import type { ImportOrdersRequest } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { connect, type Clients } from '../support/clients.js';
import { download, sha256Hex, watchToEnd } from '../support/exports.js';
import { failure } from '../support/grpc-errors.js';
import { OwnRedisServer } from '../support/redis.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { startWorkerProcess } from '../support/server-process.js';
import { startTestApp, testConfigDocument, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_reconcile_${randomBytes(4).toString('hex')}`;
const prefix = 'reconcile-test';
const queueName = 'reconcile';
const store = { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, database, user: POSTGRES.user, migrate: true };
const ORDERS = 120;
const REQUEUED = 'export jobs unfinished in the store but missing from the queue were queued again';

describe.skipIf(!available)('export maintenance: the reconcile sweep and retention', () => {
  let redis: OwnRedisServer;
  let overrides: Record<string, unknown>;
  let server: TestApp;
  let api: Clients;
  let sql: pg.Client;
  let bull: Queue;
  const workers: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];

  beforeAll(async () => {
    redis = await OwnRedisServer.start(); // --save '' --appendonly no: a restart loses everything
    overrides = {
      services: { exports: false },
      exports: {
        queue: { kind: 'bullmq', host: '127.0.0.1', port: redis.port, prefix, queueName, lockDurationMs: 2000, stalledIntervalMs: 1000 },
        pageSize: 50,
        progressIntervalMs: 1,
        concurrency: 1,
        staleAfterMs: 3000,
        maintenanceIntervalMs: 300,
      },
      shutdown: { timeoutMs: 2000, drainDelayMs: 0, closeTimeoutMs: 3000 },
      log: { level: 'info', format: 'json' },
    };
    await admin(`CREATE DATABASE ${database}`);
    server = await startTestApp({ config: { store, ...overrides } });
    api = connect(server.grpcAddress);
    sql = new pg.Client({ ...POSTGRES, database });
    await sql.connect();
    bull = new Queue(queueName, { connection: { host: '127.0.0.1', port: redis.port }, prefix });
    bull.on('error', () => {}); // the restart below drops its connection; it reconnects
    async function* requests(): AsyncGenerator<ImportOrdersRequest> {
      for (let i = 0; i < ORDERS; i++)
        yield { order: { customerId: `c${i % 3}`, items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: '' } };
    }
    expect((await api.orders.importOrders(requests())).created).toBe(ORDERS);
  }, 180_000);

  afterAll(async () => {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      w.cleanup();
    }
    api?.close();
    await bull?.close();
    await sql?.end();
    await server?.stop();
    await redis?.stop();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  const exportCsv = async () =>
    (await api.exports.exportOrders({ customerId: '', status: 0, format: ExportFormat.EXPORT_FORMAT_CSV, idempotencyKey: '' })).job!;
  const row = async (id: string) =>
    (await sql.query<{ status: string; attempts: number }>('SELECT status, attempts FROM export_jobs WHERE id = $1', [id])).rows[0];
  const outboxEmpty = async () => (await sql.query('SELECT 1 FROM export_outbox')).rowCount === 0;
  const requeuedLogged = (id: string) =>
    [...server.logs, ...workers.flatMap((w) => w.output.lines)].some(
      (l) => l.msg === REQUEUED && Array.isArray(l.job_ids) && (l.job_ids as string[]).includes(id),
    );
  const succeeded = async (id: string) => {
    const final = (await watchToEnd(api, id)).at(-1)!;
    expect(final.status).toBe(ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED);
    expect(final.ordersDone).toBe(BigInt(ORDERS));
    expect(sha256Hex((await download(api, id)).data)).toBe(final.sha256);
    return final;
  };

  test('a job BullMQ gave up (failed) and one whose entry was removed are queued again and complete', async () => {
    const failedJob = await exportCsv();
    const removedJob = await exportCsv();
    await until('both jobs are dispatched and waiting in BullMQ', async () => {
      const states = await Promise.all([bull.getJobState(failedJob.id), bull.getJobState(removedJob.id)]);
      return (await outboxEmpty()) && states.every((s) => s === 'waiting');
    });
    // Take the first job as a worker would and fail it for good, as BullMQ does past maxStalledCount.
    const taker = new Worker(queueName, undefined, { connection: { host: '127.0.0.1', port: redis.port }, prefix, autorun: false });
    try {
      const token = 'test-taker';
      const taken = await taker.getNextJob(token);
      expect(taken?.id).toBe(failedJob.id);
      await taken.moveToFailed(new UnrecoverableError('job stalled more than allowable limit'), token);
    } finally {
      await taker.close();
    }
    expect(await bull.getJobState(failedJob.id)).toBe('failed');
    expect(await bull.remove(removedJob.id)).toBe(1);
    expect(await bull.getJobState(removedJob.id)).toBe('unknown');
    expect(await row(failedJob.id)).toMatchObject({ status: 'QUEUED', attempts: 0 });

    workers.push(await startWorkerProcess(testConfigDocument(store, overrides)));
    await succeeded(failedJob.id);
    await succeeded(removedJob.id);
    expect(await row(failedJob.id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(requeuedLogged(failedJob.id)).toBe(true);
    expect(requeuedLogged(removedJob.id)).toBe(true);
  }, 180_000);

  test('jobs lost with a Redis that persists nothing (restarted after dispatch) complete', async () => {
    const worker = workers.at(-1)!;
    worker.child.kill('SIGTERM');
    await worker.exited;
    const jobs = [await exportCsv(), await exportCsv()];
    await until('the jobs are dispatched and waiting in BullMQ', async () => {
      const states = await Promise.all(jobs.map((j) => bull.getJobState(j.id)));
      return (await outboxEmpty()) && states.every((s) => s === 'waiting');
    });
    await redis.kill();
    await redis.start();
    for (const job of jobs) expect(await row(job.id)).toMatchObject({ status: 'QUEUED', attempts: 0 });

    workers.push(await startWorkerProcess(testConfigDocument(store, overrides)));
    for (const job of jobs) {
      await succeeded(job.id);
      expect(await row(job.id)).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      expect(requeuedLogged(job.id)).toBe(true);
    }
    const metrics = await (await fetch(`${server.adminUrl}/metrics`)).text();
    const workerMetrics = await (await fetch(`${workers.at(-1)!.adminUrl}/metrics`)).text();
    const requeued = (text: string) => Number(/^orderflow_export_jobs_requeued_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
    // Four jobs re-queued in this file, by the server or the worker (both sweep); a job added twice by both counts twice.
    expect(requeued(metrics) + requeued(workerMetrics)).toBeGreaterThanOrEqual(jobs.length);
  }, 180_000);

  test('retention deletes finished jobs older than retentionHours with their files; recent ones stay', async () => {
    const [old, recent] = (await sql.query<{ id: string }>("SELECT id FROM export_jobs WHERE status = 'SUCCEEDED' ORDER BY id LIMIT 2"))
      .rows;
    await sql.query("UPDATE export_jobs SET update_time = now() - interval '169 hours' WHERE id = $1", [old!.id]);
    await sql.query("UPDATE export_jobs SET update_time = now() - interval '167 hours' WHERE id = $1", [recent!.id]);
    await until('the old job is deleted', async () => (await row(old!.id)) === undefined);
    expect((await failure(api.exports.getExportJob({ id: old!.id }))).code).toBe('NOT_FOUND');
    expect((await failure(download(api, old!.id))).code).toBe('NOT_FOUND');
    expect((await sql.query('SELECT 1 FROM export_chunks WHERE job_id = $1', [old!.id])).rowCount).toBe(0);
    expect((await api.exports.getExportJob({ id: recent!.id })).job?.status).toBe(ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED);
    expect((await sql.query('SELECT 1 FROM export_chunks WHERE job_id = $1', [recent!.id])).rowCount).toBeGreaterThan(0);
  }, 120_000);
});
