// The export job signal over LISTEN/NOTIFY: the ExportJobSignal contract on a real PostgreSQL
// (the writer on a pool connection, the signal hearing it only through the hub's LISTEN
// connection and the trigger of migration 0003) and on PGlite (LISTEN in its worker thread).
// Then what the hub promises: one LISTEN connection serves order events and export jobs; a
// change made while that connection is down still wakes the watcher once it is back (every
// watcher re-reads after a reconnect), with the poll an hour away. Last, WatchExportJob itself on
// PGlite (one process), wired as the server wires it: every change reaches the stream before the
// next is made, with the poll a minute away.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { NotifiedExportJobSignal } from '../../src/adapters/notified-export-job-signal.js';
import { PostgresExportJobStore } from '../../src/adapters/postgres/export-job-store.js';
import { ListenHub } from '../../src/adapters/postgres/listen-hub.js';
import { migrate } from '../../src/adapters/postgres/migrator.js';
import { PostgresOrderRepository } from '../../src/adapters/postgres/order-repository.js';
import { openPgDriver } from '../../src/adapters/postgres/pg-driver.js';
import { LISTEN_APPLICATION_NAME, pgListen } from '../../src/adapters/postgres/pg-listen.js';
import { openPgliteDriver } from '../../src/adapters/postgres/pglite-driver.js';
import { PostgresEventSignal } from '../../src/adapters/postgres/postgres-event-signal.js';
import { EVENTS_CHANNEL, EXPORT_JOBS_CHANNEL, type SqlDriver } from '../../src/adapters/postgres/sql-driver.js';
import { openSqlStore } from '../../src/adapters/postgres/postgres-store.js';
import { createUuidV7Generator } from '../../src/adapters/system.js';
import { ANY_ACTOR } from '../../src/domain/actor.js';
import type { ExportJob } from '../../src/domain/exports/export-job.js';
import { watchExportJob } from '../../src/domain/exports/watch-export-job.js';
import { exportJobChanges } from '../../src/wiring/exports.js';
import { anExportJob } from '../contracts/export-job-store.contract.js';
import { exportJobSignalContract } from '../contracts/export-job-signal.contract.js';
import { anOrder } from '../support/builders.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { until } from '../support/until.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_export_signal_${randomBytes(4).toString('hex')}`;
const db = { host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database };
const HOUR = 3_600_000;
const unsubscribes: (() => void)[] = [];

/** A NotifiedExportJobSignal fed by `hub`, as src/wiring/exports.ts wires it. */
function exportSignal(hub: ListenHub, fallbackMs: number): NotifiedExportJobSignal {
  const signal = new NotifiedExportJobSignal(fallbackMs);
  unsubscribes.push(hub.subscribe(EXPORT_JOBS_CHANNEL, { heard: (id) => signal.notify(id), reconnected: () => signal.wakeAll() }));
  return signal;
}

describe.skipIf(!available)('export job signal on PostgreSQL (LISTEN/NOTIFY)', () => {
  let driver: SqlDriver;
  let hub: ListenHub;
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    driver = openPgDriver({ ...db, password: undefined, poolMax: 4, connectTimeoutMs: 5000, onIdleError: () => {} });
    await migrate(driver);
    hub = new ListenHub({
      listen: pgListen({ ...db, password: undefined, connectTimeoutMs: 1000 }),
      channels: [EVENTS_CHANNEL, EXPORT_JOBS_CHANNEL],
      reconnect: { initialMs: 20, maxMs: 200 },
    });
    await hub.start();
    await hub.check();
  });
  afterEach(() => unsubscribes.splice(0).forEach((unsubscribe) => unsubscribe()));
  afterAll(async () => {
    await hub?.close();
    await driver?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  exportJobSignalContract('PostgreSQL, writer on another connection', (fallbackMs) =>
    Promise.resolve({ signal: exportSignal(hub, fallbackMs), writer: new PostgresExportJobStore(driver) }),
  );

  test('one LISTEN connection serves order events and export jobs', async () => {
    const events = new PostgresEventSignal({ hub, head: () => new PostgresOrderRepository(driver).head(), catchUpIntervalMs: HOUR });
    await events.start();
    const jobs = exportSignal(hub, HOUR);
    const writer = new PostgresExportJobStore(driver);
    const orders = new PostgresOrderRepository(driver);
    const head = await orders.head();
    const id = randomUUID();
    const orderWoken = events.wait(head, new AbortController().signal);
    const jobWoken = jobs.wait(id, new AbortController().signal);
    await orders.create(anOrder({ id: createUuidV7Generator()() }));
    await writer.create(anExportJob({ id }));
    await expect(Promise.all([orderWoken, jobWoken])).resolves.toEqual([undefined, undefined]);
    const listening = await driver.query<{ n: bigint }>(
      'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
      [database, LISTEN_APPLICATION_NAME],
    );
    expect(listening).toEqual([{ n: 1n }]);
    await events.close();
  });

  test('a change made while the LISTEN connection is down wakes the watcher after the reconnect', async () => {
    const jobs = exportSignal(hub, HOUR);
    const writer = new PostgresExportJobStore(driver);
    const id = (await writer.create(anExportJob({ id: randomUUID() }))).job.id;
    const waiting = jobs.wait(id, new AbortController().signal);
    const killed = await driver.query<{ killed: boolean }>(
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
      [database, LISTEN_APPLICATION_NAME],
    );
    expect(killed).toEqual([{ killed: true }]);
    await writer.startAttempt(id, 1, new Date()); // its notification may reach nobody
    await expect(waiting).resolves.toBeUndefined();
    await until('listening again', () => hub.check().then(() => true));
    const next = jobs.wait(id, new AbortController().signal);
    await writer.recordProgress(id, 1, 1, new Date());
    await expect(next).resolves.toBeUndefined();
  });
});

describe('export job signal on PGlite (LISTEN in the worker thread)', () => {
  let pglite: SqlDriver;
  let hub: ListenHub;
  beforeAll(async () => {
    pglite = await openPgliteDriver(undefined);
    await migrate(pglite);
    hub = new ListenHub({ listen: pglite.listen!, channels: [EVENTS_CHANNEL, EXPORT_JOBS_CHANNEL] });
    await hub.start();
    await hub.check();
  });
  afterEach(() => unsubscribes.splice(0).forEach((unsubscribe) => unsubscribe()));
  afterAll(async () => {
    await hub?.close();
    await pglite?.close();
  });

  exportJobSignalContract('PGlite', (fallbackMs) =>
    Promise.resolve({ signal: exportSignal(hub, fallbackMs), writer: new PostgresExportJobStore(pglite) }),
  );

  test('WatchExportJob on PGlite: each change reaches the stream before the next is made (poll a minute away)', async () => {
    const store = await openSqlStore(pglite, { migrate: false });
    const watch = watchExportJob({ jobs: store.exports, changes: exportJobChanges(store, hub, 60_000) });
    const id = randomUUID();
    await store.exports.create(anExportJob({ id }));
    const call = new AbortController();
    const stream = await watch(id, ANY_ACTOR, { signal: call.signal, deadline: Infinity });
    // Within 20 s, far below the poll: only the notification can have woken the stream.
    const next = async (): Promise<ExportJob | undefined> => {
      const bound = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no state within 20 s')), 20_000).unref());
      const step = await Promise.race([stream.next(), bound]);
      return step.done === true ? undefined : step.value;
    };
    expect((await next())?.status).toBe('QUEUED');
    await store.exports.startAttempt(id, 2, new Date());
    expect(await next()).toMatchObject({ status: 'RUNNING', ordersTotal: 2 });
    await store.exports.recordProgress(id, 1, 1, new Date());
    expect(await next()).toMatchObject({ ordersDone: 1 });
    await store.exports.succeed(id, 1, { ordersDone: 2, sizeBytes: 0, sha256: 'e3b0' }, new Date());
    expect(await next()).toMatchObject({ status: 'SUCCEEDED' });
    expect(await next()).toBeUndefined();
    call.abort(new Error('test over'));
  });
});
