// The contract suites against the embedded store (PGlite), one database for the whole file.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPgliteDriver } from '../../src/adapters/postgres/pglite-driver.js';
import { PostgresProductRepository } from '../../src/adapters/postgres/product-repository.js';
import { migrate } from '../../src/adapters/postgres/migrator.js';
import type { SqlDriver } from '../../src/adapters/postgres/sql-driver.js';
import { exportJobStoreContract } from '../contracts/export-job-store.contract.js';
import { orderStoreContract } from '../contracts/order-store.contract.js';
import { productRepositoryContract } from '../contracts/product-repository.contract.js';
import { freshEmbeddedDataDir } from '../support/embedded-template.js';
import { openCleanSqlStore, resetSqlStore } from './sql-store-fixture.js';

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

productRepositoryContract('PGlite', async () => {
  await resetSqlStore(driver);
  return new PostgresProductRepository(driver);
});
orderStoreContract('PGlite', () => openCleanSqlStore(driver));
exportJobStoreContract('PGlite', async () => (await openCleanSqlStore(driver)).store.exports);

describe('migrations on PGlite', () => {
  test('a second run applies nothing', async () => {
    expect(await migrate(driver)).toEqual([]);
  });
});
