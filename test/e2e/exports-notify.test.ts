// WatchExportJob across processes through LISTEN/NOTIFY: two server processes on one fresh
// PostgreSQL database, with exports.watchPollIntervalMs at 60 s, so a watcher can only learn of a
// change within the 20 s bounds below through a notification. First a job whose every change is
// committed by another process (this test, through the SQL store): the watcher on replica B gets
// each state before the next change is made. Then the real thing: an export asked for and run on
// replica A, watched to SUCCEEDED on replica B. The embedded store (one process) has the same
// test in test/integration/export-job-signal.test.ts ("WatchExportJob on PGlite").
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PostgresExportJobStore } from '../../src/adapters/postgres/export-job-store.js';
import { openPgDriver } from '../../src/adapters/postgres/pg-driver.js';
import type { SqlDriver } from '../../src/adapters/postgres/sql-driver.js';
import { ExportFormat, ExportJobStatus, type WatchExportJobResponse } from '../../src/gen/orderflow/exports/v1/export_service.js';
import { anExportJob } from '../contracts/export-job-store.contract.js';
import { reader } from '../support/async-queue.js';
import { type Clients, connect } from '../support/clients.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { startServerProcess } from '../support/server-process.js';
import { testConfigDocument } from '../support/test-app.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_export_notify_${randomBytes(4).toString('hex')}`;
const db = { host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database };
const POLL_MS = 60_000;
/** Well below the poll: a state that arrives within it came through NOTIFY. */
const BOUND_MS = 20_000;
const storeConfig = { kind: 'postgres', ...db, migrate: true };
// Only a server's own new jobs are dispatched (the outbox sweep is an hour away), and the job this
// test inserts leaves the outbox at once, so no replica runs it.
const exportsConfig = { watchPollIntervalMs: POLL_MS, dispatchIntervalMs: 3_600_000, progressIntervalMs: 1, pageSize: 5 };

type Replica = Awaited<ReturnType<typeof startServerProcess>> & { api: Clients };
const replicas: Replica[] = [];

async function startReplica(): Promise<Replica> {
  const config = testConfigDocument(storeConfig, { log: { level: 'info' }, exports: exportsConfig });
  const server = await startServerProcess(config);
  const replica = { ...server, api: connect(server.grpcAddress) };
  replicas.push(replica);
  return replica;
}

describe.skipIf(!available)('WatchExportJob on another process than the one changing the job (PostgreSQL)', () => {
  let a: Replica;
  let b: Replica;
  let driver: SqlDriver;

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    a = await startReplica();
    b = await startReplica();
    driver = openPgDriver({ ...db, password: undefined, poolMax: 2, connectTimeoutMs: 5000, onIdleError: () => {} });
  });

  afterAll(async () => {
    for (const replica of replicas) {
      replica.api.close();
      replica.child.kill('SIGKILL');
      await replica.exited;
      replica.cleanup();
    }
    await driver?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  test('each change committed by another process reaches the watcher before the next is made', async () => {
    const jobs = new PostgresExportJobStore(driver);
    const id = randomUUID();
    await jobs.create(anExportJob({ id }));
    await jobs.markDispatched([id]);
    const watch = reader(b.api.exports.watchExportJob({ id }));
    const next = async () => ((await watch.take(1, BOUND_MS))[0] as WatchExportJobResponse).job;
    expect((await next())?.status).toBe(ExportJobStatus.EXPORT_JOB_STATUS_QUEUED);

    await jobs.startAttempt(id, 30, new Date());
    expect(await next()).toMatchObject({ status: ExportJobStatus.EXPORT_JOB_STATUS_RUNNING, ordersTotal: 30n, ordersDone: 0n });
    for (const done of [10, 20]) {
      await jobs.recordProgress(id, 1, done, new Date());
      expect(await next()).toMatchObject({ status: ExportJobStatus.EXPORT_JOB_STATUS_RUNNING, ordersDone: BigInt(done) });
    }
    await jobs.succeed(id, 1, { ordersDone: 30, sizeBytes: 0, sha256: 'e3b0' }, new Date());
    expect(await next()).toMatchObject({ status: ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ordersDone: 30n });
    expect(await watch.end(BOUND_MS)).toBe('done');
  });

  test('an export asked for and run on replica A is watched to SUCCEEDED on replica B', async () => {
    for (let i = 0; i < 40; i++)
      await a.api.orders.createOrder({ customerId: 'notify', items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: `n-${i}` });
    const { job } = await a.api.exports.exportOrders({ customerId: 'notify', format: ExportFormat.EXPORT_FORMAT_CSV, idempotencyKey: 'n' });
    const watch = reader(b.api.exports.watchExportJob({ id: job?.id ?? '' }));
    const states: WatchExportJobResponse[] = [];
    for (;;) {
      const [state] = await watch.take(1, BOUND_MS);
      states.push(state as WatchExportJobResponse);
      if (state?.job?.status === ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED) break;
      expect(state?.job?.status).not.toBe(ExportJobStatus.EXPORT_JOB_STATUS_FAILED);
    }
    expect(states.at(-1)?.job).toMatchObject({ ordersDone: 40n, ordersTotal: 40n });
    const done = states.map((s) => Number(s.job?.ordersDone));
    expect(done).toEqual([...done].sort((x, y) => x - y));
    expect(await watch.end(BOUND_MS)).toBe('done');
  });
});
