// The caller's deadline reaches PostgreSQL: with the network to the database stalled (a TCP proxy
// the test pauses), queries end by their deadline with DEADLINE_EXCEEDED, and a transaction whose
// COMMIT is delayed past the deadline is rolled back when it finally arrives, never committed
// after the caller was told it failed.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../../src/adapters/postgres/migrator.js';
import { openPgDriver } from '../../src/adapters/postgres/pg-driver.js';
import type { SqlDriver, SqlExecutor } from '../../src/adapters/postgres/sql-driver.js';
import type { CallScope } from '../../src/domain/call-scope.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_deadline_${randomBytes(4).toString('hex')}`;
let direct: SqlDriver;
const opened: { driver: SqlDriver; proxy: TcpProxy }[] = [];

const within = (ms: number): CallScope => ({ signal: new AbortController().signal, deadline: Date.now() + ms });
const open = (port: number) =>
  openPgDriver({ ...POSTGRES, port, database, password: undefined, poolMax: 1, connectTimeoutMs: 5000, onIdleError: () => {} });
const insertProduct = (tx: SqlExecutor, id: string) =>
  tx.query(
    "INSERT INTO products (id, name, currency_code, price_minor, create_time, update_time) VALUES ($1, 'p', 'EUR', 1, now(), now())",
    [id],
  );
const stored = (id: string) => direct.query<{ id: string }>('SELECT id FROM products WHERE id = $1', [id]);

/** A one-connection driver behind a proxy of its own, connected already. */
async function throughProxy(): Promise<{ driver: SqlDriver; proxy: TcpProxy }> {
  const proxy = await startTcpProxy({ host: POSTGRES.host, port: POSTGRES.port });
  const driver = open(proxy.port);
  await driver.query('SELECT 1');
  opened.push({ driver, proxy });
  return { driver, proxy };
}

describe.skipIf(!available)('deadlines on a stalled PostgreSQL connection', () => {
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    direct = open(POSTGRES.port);
    await migrate(direct);
  });

  afterEach(async () => {
    for (const { driver, proxy } of opened.splice(0)) {
      proxy.resume();
      await driver.close();
      await proxy.close();
    }
  });

  afterAll(async () => {
    await direct.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  test('a query ends with DEADLINE_EXCEEDED by its deadline, and the driver works again once the network does', async () => {
    const { driver, proxy } = await throughProxy();
    proxy.pause();
    const started = Date.now();
    await expect(driver.query('SELECT 1', [], within(300))).rejects.toMatchObject({ name: 'DomainError', code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - started).toBeLessThan(30_000); // ended by the deadline, not by a TCP timeout
    proxy.resume();
    expect(await driver.query<{ one: number }>('SELECT 1 AS one', [], within(30_000))).toEqual([{ one: 1 }]);
  });

  test('a COMMIT stalled past the deadline is refused when it arrives: the transaction is rolled back', async () => {
    const { driver, proxy } = await throughProxy();
    const id = `late-${randomBytes(3).toString('hex')}`;
    const committing = driver.transaction(async (tx) => {
      await insertProduct(tx, id);
      proxy.pause(); // the COMMIT will wait in the network
    }, within(1000));
    await expect(committing).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    // The caller has been told. Now the stalled bytes, COMMIT included, reach the server, which
    // closes the connection once it has handled them (the driver gave it up at the deadline).
    proxy.resume();
    await expect.poll(() => proxy.connections(), { timeout: 20_000 }).toBe(0);
    expect(await stored(id)).toEqual([]);
  });

  test('a transaction that finishes within its deadline commits', async () => {
    const { driver } = await throughProxy();
    const id = `ok-${randomBytes(3).toString('hex')}`;
    await driver.transaction((tx) => insertProduct(tx, id), within(30_000));
    expect(await stored(id)).toEqual([{ id }]);
  });

  test('a statement running past the deadline is cancelled by the server, not left running', async () => {
    const { driver } = await throughProxy();
    await expect(driver.transaction((tx) => tx.query('SELECT pg_sleep(30)'), within(500))).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    const running = async () =>
      (
        await direct.query<{ n: string }>(
          "SELECT count(*)::text AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
          [database],
        )
      )[0]?.n;
    await expect.poll(running, { timeout: 10_000 }).toBe('0');
  });
});
