// The contract suites against a real PostgreSQL server, in a database made for this file.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../../src/adapters/postgres/migrator.js';
import { openPgDriver } from '../../src/adapters/postgres/pg-driver.js';
import { PostgresProductRepository } from '../../src/adapters/postgres/product-repository.js';
import type { SqlDriver } from '../../src/adapters/postgres/sql-driver.js';
import { exportJobStoreContract } from '../contracts/export-job-store.contract.js';
import { orderStoreContract } from '../contracts/order-store.contract.js';
import { productRepositoryContract } from '../contracts/product-repository.contract.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { openCleanSqlStore, resetSqlStore } from './sql-store-fixture.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_test_${randomBytes(4).toString('hex')}`;
let driver: SqlDriver;

test('a server that cannot be reached is UNAVAILABLE to the domain, not an internal error', async () => {
  const unreachable = openPgDriver({
    host: '127.0.0.1',
    port: 1,
    database: 'x',
    user: 'x',
    password: undefined,
    poolMax: 1,
    connectTimeoutMs: 500,
    onIdleError: () => {},
  });
  await expect(unreachable.query('SELECT 1')).rejects.toMatchObject({ name: 'DomainError', code: 'UNAVAILABLE' });
  await expect(unreachable.transaction(() => Promise.resolve())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  await unreachable.close();
});

describe.skipIf(!available)('PostgreSQL', () => {
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    driver = openPgDriver({ ...POSTGRES, database, password: undefined, poolMax: 10, connectTimeoutMs: 5000, onIdleError: () => {} });
  });

  afterAll(async () => {
    await driver.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  test('migrations apply once, also when two migrators race', async () => {
    const [a, b] = await Promise.all([migrate(driver), migrate(driver)]);
    expect([...(a ?? []), ...(b ?? [])]).toEqual([
      '0001_orders.sql',
      '0002_exports.sql',
      '0003_export_maintenance.sql',
      '0004_export_job_notify.sql',
    ]);
    expect(await migrate(driver)).toEqual([]);
  });

  productRepositoryContract('PostgreSQL', async () => {
    await resetSqlStore(driver);
    return new PostgresProductRepository(driver);
  });
  orderStoreContract('PostgreSQL', () => openCleanSqlStore(driver));
  exportJobStoreContract('PostgreSQL', async () => (await openCleanSqlStore(driver)).store.exports);
});
