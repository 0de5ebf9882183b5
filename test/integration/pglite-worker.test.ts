// PGlite in its worker thread: this thread's event loop keeps running while PostgreSQL is busy,
// and the driver's own behaviour around the thread boundary (errors, settings, close).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPgliteDriver } from '../../src/adapters/postgres/pglite-driver.js';
import type { SqlDriver } from '../../src/adapters/postgres/sql-driver.js';
import { DomainError } from '../../src/domain/errors.js';
import { freshEmbeddedDataDir } from '../support/embedded-template.js';

// One store for the file (opening PGlite takes seconds); the close test opens its own.
let driver: SqlDriver;
let cleanup: () => void;

beforeAll(async () => {
  const fresh = await freshEmbeddedDataDir();
  cleanup = fresh.cleanup;
  driver = await openPgliteDriver(fresh.dataDir);
});

afterAll(async () => {
  await driver.close();
  cleanup();
});

const tick = (ms: number) => new Promise<'timer'>((resolve) => setTimeout(() => resolve('timer'), ms));

describe('the event loop while the embedded store is busy', () => {
  test('a timer fires while PGlite runs a 5-second statement, and queued queries complete after it', async () => {
    // pg_sleep holds PGlite's thread as a long query or a big import would.
    const busy = driver.query('SELECT pg_sleep(5)').then(() => 'store' as const);
    const queued = driver.query<{ n: number }>('SELECT 1 AS n');
    // On the main thread PGlite would hold this loop for the whole 5 s and resolve first.
    expect(await Promise.race([busy, tick(50)])).toBe('timer');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    await busy;
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(await queued).toEqual([{ n: 1 }]);
  });
});

describe('the PGlite driver', () => {
  test('errors carry PostgreSQL’s code and message across the thread, and not the parameters', async () => {
    const error = (await driver.query('SELECT 1 / ($1::int - 1)', [1]).catch((e: unknown) => e)) as Error & Record<string, unknown>;
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ message: 'division by zero', code: '22012', severity: 'ERROR' });
    expect(error.params).toBeUndefined();
  });

  test('a rolled back transaction leaves nothing, and the store goes on serving', async () => {
    await expect(
      driver.transaction(async (tx) => {
        await tx.query(
          "INSERT INTO products (id, name, currency_code, price_minor, create_time, update_time) VALUES ('p', 'P', 'EUR', 1, now(), now())",
        );
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await driver.query("SELECT id FROM products WHERE id = 'p'")).toEqual([]);
  });

  test('PostgreSQL starts with the small page cache that keeps idle memory down', async () => {
    expect(await driver.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '16MB' }]);
  });

  test('close ends a transaction its caller left open, and later calls are UNAVAILABLE', async () => {
    const own = await freshEmbeddedDataDir();
    const closing = await openPgliteDriver(own.dataDir);
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const abandoned = closing.transaction(async (tx) => {
      await tx.query('SELECT 1');
      entered();
      await hold; // a caller that never finishes (a forced shutdown)
      return tx.query('SELECT 2');
    });
    await inside;
    await closing.close();
    release();
    await expect(abandoned).rejects.toBeInstanceOf(DomainError);
    await expect(closing.query('SELECT 1')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    own.cleanup();
  });
});
