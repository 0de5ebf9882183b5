// PostgresEventSignal on a real PostgreSQL with the writer in ANOTHER process (a child committing
// orders to the same database): the EventSignal contract, then losing the LISTEN connection
// (pg_terminate_backend, or a TCP proxy that refuses) while that process commits: the waiter
// still wakes, through the catch-up after the reconnect. On PGlite, the same contract through
// LISTEN in its worker thread (the store has one process; its commits wake nobody directly).
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../../src/adapters/postgres/migrator.js';
import { PostgresOrderRepository } from '../../src/adapters/postgres/order-repository.js';
import { openPgDriver } from '../../src/adapters/postgres/pg-driver.js';
import { LISTEN_APPLICATION_NAME, pgListen } from '../../src/adapters/postgres/pg-listen.js';
import { openPgliteDriver } from '../../src/adapters/postgres/pglite-driver.js';
import { PostgresEventSignal } from '../../src/adapters/postgres/postgres-event-signal.js';
import type { SqlDriver } from '../../src/adapters/postgres/sql-driver.js';
import { createUuidV7Generator } from '../../src/adapters/system.js';
import { eventSignalContract } from '../contracts/event-signal.contract.js';
import { anOrder } from '../support/builders.js';
import { type EventWriterProcess, startEventWriter } from '../support/event-writer-process.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/until.js';
import { resetSqlStore } from './sql-store-fixture.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_events_${randomBytes(4).toString('hex')}`;
const db = { host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database };
const HOUR = 3_600_000;
let driver: SqlDriver;
let writer: EventWriterProcess;
const opened: PostgresEventSignal[] = [];

async function openSignal(options: { port?: number; catchUpIntervalMs?: number } = {}): Promise<PostgresEventSignal> {
  const listen = pgListen({ ...db, port: options.port ?? db.port, password: undefined, connectTimeoutMs: 1000 });
  const log = new PostgresOrderRepository(driver);
  // The safety net is an hour away unless asked for: only LISTEN and the reconnect catch-up wake.
  const signal = new PostgresEventSignal({
    listen,
    head: () => log.head(),
    catchUpIntervalMs: options.catchUpIntervalMs ?? HOUR,
    reconnect: { initialMs: 20, maxMs: 200 },
  });
  opened.push(signal);
  await signal.start();
  return signal;
}

describe.skipIf(!available)('PostgresEventSignal with the writer in another process', () => {
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    driver = openPgDriver({ ...db, password: undefined, poolMax: 4, connectTimeoutMs: 5000, onIdleError: () => {} });
    await migrate(driver);
    writer = startEventWriter(db);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await writer?.stop();
    await driver?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  eventSignalContract('PostgreSQL LISTEN, writer in a child process', async () => {
    await resetSqlStore(driver);
    return { signal: await openSignal(), committed: (sequence) => writer.commitUpTo(sequence) };
  });

  test('the LISTEN connection killed by pg_terminate_backend: a commit made meanwhile still wakes the waiter', async () => {
    await resetSqlStore(driver);
    const signal = await openSignal();
    await signal.check();
    const waiting = signal.wait(0n, new AbortController().signal);
    const killed = await driver.query<{ killed: boolean }>(
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
      [database, LISTEN_APPLICATION_NAME],
    );
    expect(killed).toEqual([{ killed: true }]);
    await writer.commitUpTo(1n);
    await expect(waiting).resolves.toBeUndefined();
    await until('listening again', () => signal.check().then(() => true));
    const next = signal.wait(1n, new AbortController().signal);
    await writer.commitUpTo(2n);
    await expect(next).resolves.toBeUndefined();
  });

  describe('behind a TCP proxy', () => {
    let proxy: TcpProxy;
    beforeAll(async () => {
      proxy = await startTcpProxy({ host: POSTGRES.host, port: POSTGRES.port });
    });
    afterAll(async () => proxy?.close());

    test('while the proxy refuses, the signal is not ready and hears nothing; once it accepts, the catch-up wakes the waiter', async () => {
      await resetSqlStore(driver);
      const signal = await openSignal({ port: proxy.port });
      await signal.check();
      const waiting = signal.wait(0n, new AbortController().signal);
      await proxy.refuse();
      await until('not ready while LISTEN is down', () =>
        signal.check().then(
          () => false,
          () => true,
        ),
      );
      await writer.commitUpTo(3n); // straight to PostgreSQL: the notification is lost for this signal
      expect(await Promise.race([waiting.then(() => 'resolved'), new Promise((r) => setTimeout(() => r('pending'), 200))])).toBe('pending');
      await proxy.accept();
      await expect(waiting).resolves.toBeUndefined();
      await until('ready again', () => signal.check().then(() => true));
    });

    test('a stalled LISTEN connection (the proxy holds its bytes) fails the check, is dropped and re-opened', async () => {
      await resetSqlStore(driver);
      const signal = await openSignal({ port: proxy.port });
      await signal.check();
      const waiting = signal.wait(0n, new AbortController().signal);
      proxy.pause();
      await writer.commitUpTo(1n);
      // The ping cannot be answered while the proxy holds the bytes: the check's own bound ends it.
      await expect(signal.check(AbortSignal.timeout(300))).rejects.toThrow('did not answer in time');
      await expect(signal.check()).rejects.toThrow('reconnecting');
      proxy.resume();
      await expect(waiting).resolves.toBeUndefined();
      await until('ready again', () => signal.check().then(() => true));
    });

    test('the safety net: with LISTEN down for good, the periodic catch-up still wakes the waiter', async () => {
      await resetSqlStore(driver);
      const signal = await openSignal({ port: proxy.port, catchUpIntervalMs: 50 });
      await proxy.refuse();
      await until('not ready while LISTEN is down', () =>
        signal.check().then(
          () => false,
          () => true,
        ),
      );
      const waiting = signal.wait(0n, new AbortController().signal);
      await writer.commitUpTo(1n);
      await expect(waiting).resolves.toBeUndefined();
      await proxy.accept();
    });
  });
});

describe('PostgresEventSignal on PGlite (LISTEN in the worker thread)', () => {
  let pglite: SqlDriver;
  const newId = createUuidV7Generator();
  beforeAll(async () => {
    pglite = await openPgliteDriver(undefined);
    await migrate(pglite);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  afterAll(async () => pglite?.close());

  eventSignalContract('PGlite LISTEN', async () => {
    await resetSqlStore(pglite);
    const orders = new PostgresOrderRepository(pglite); // no onCommit: only the notification wakes
    const signal = new PostgresEventSignal({ listen: pglite.listen!, head: () => orders.head(), catchUpIntervalMs: HOUR });
    opened.push(signal);
    await signal.start();
    await signal.check();
    return {
      signal,
      committed: async (sequence) => {
        while ((await orders.head()) < sequence) await orders.create(anOrder({ id: newId() }));
      },
    };
  });
});
