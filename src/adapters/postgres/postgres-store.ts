// The Store over PostgreSQL SQL: the same repositories whichever driver (PGlite or pg) runs it.
import type { EventsCommitted, Store } from '../store.js';
import { PostgresExportJobStore } from './export-job-store.js';
import { migrate } from './migrator.js';
import { PostgresOrderRepository } from './order-repository.js';
import { PostgresProductRepository } from './product-repository.js';
import type { SqlDriver } from './sql-driver.js';

export type SqlStoreOptions = Readonly<{
  onCommit?: EventsCommitted;
  /** Apply pending migrations before returning (the embedded store always does). */
  migrate: boolean;
}>;

export async function openSqlStore(driver: SqlDriver, options: SqlStoreOptions): Promise<Store & { appliedMigrations: string[] }> {
  const appliedMigrations = options.migrate ? await migrate(driver) : [];
  const orders = new PostgresOrderRepository(driver, options.onCommit);
  return {
    products: new PostgresProductRepository(driver),
    orders,
    events: orders,
    exports: new PostgresExportJobStore(driver),
    appliedMigrations,
    ping: () => driver.ping(),
    close: () => driver.close(),
    connections: () => driver.stats(),
  };
}
