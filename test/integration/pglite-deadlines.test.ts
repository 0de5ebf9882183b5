// The caller's deadline reaches the embedded store too: a query past it ends DEADLINE_EXCEEDED,
// and a transaction whose work runs past the deadline is rolled back, never committed.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openPgliteDriver } from '../../src/adapters/postgres/pglite-driver.js';
import type { SqlDriver } from '../../src/adapters/postgres/sql-driver.js';
import type { CallScope } from '../../src/domain/call-scope.js';
import { freshEmbeddedDataDir } from '../support/embedded-template.js';

let driver: SqlDriver;
let cleanup: () => void;
const within = (ms: number): CallScope => ({ signal: new AbortController().signal, deadline: Date.now() + ms });

beforeAll(async () => {
  const fresh = await freshEmbeddedDataDir();
  cleanup = fresh.cleanup;
  driver = await openPgliteDriver(fresh.dataDir);
});

afterAll(async () => {
  await driver.close();
  cleanup();
});

test('a query that cannot finish by its deadline ends DEADLINE_EXCEEDED', async () => {
  await expect(driver.query('SELECT pg_sleep(3)', [], within(200))).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  await expect(driver.query('SELECT 1', [], within(-1))).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
});

test('a transaction whose work outlives its deadline is rolled back', async () => {
  const insert =
    "INSERT INTO products (id, name, currency_code, price_minor, create_time, update_time) VALUES ('late', 'p', 'EUR', 1, now(), now())";
  await expect(
    driver.transaction(async (tx) => {
      await tx.query(insert);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }, within(100)),
  ).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  expect(await driver.query("SELECT id FROM products WHERE id = 'late'")).toEqual([]);
});

test('a cancelled caller stops waiting at once', async () => {
  const controller = new AbortController();
  const waiting = driver.query('SELECT pg_sleep(2)', [], { signal: controller.signal, deadline: Infinity });
  controller.abort(new DOMException('cancelled by the client', 'AbortError'));
  await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
});
