// Opens the SQL store on a driver and empties it between tests, for the contract suites.
import type { SqlDriver } from '../../src/adapters/postgres/sql-driver.js';
import { openSqlStore } from '../../src/adapters/postgres/postgres-store.js';
import type { OpenedStore } from '../contracts/order-store.contract.js';

export async function resetSqlStore(driver: SqlDriver): Promise<void> {
  await driver.exec(
    'TRUNCATE export_chunks, export_outbox, export_jobs, order_events, orders, products; UPDATE event_sequence SET last_value = 0;',
  );
}

/** A store over `driver` (already migrated), emptied first; its close() leaves the driver open. */
export async function openCleanSqlStore(driver: SqlDriver): Promise<OpenedStore> {
  await resetSqlStore(driver);
  const committed: bigint[] = [];
  const store = await openSqlStore(driver, { migrate: false, onCommit: (s) => committed.push(s) });
  return { store: { ...store, close: () => Promise.resolve() }, committed };
}
