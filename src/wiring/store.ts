// The configured store: in-memory fakes, PGlite (embedded, migrated at startup) or a PostgreSQL
// pool, with every query traced. openSqlDriver is the same choice for tools that need only SQL
// (cmd/migrate).
import { existsSync, readdirSync } from 'node:fs';
import { openMemoryStore } from '../adapters/memory/memory-store.js';
import { openPgDriver } from '../adapters/postgres/pg-driver.js';
import { openPgliteDriver } from '../adapters/postgres/pglite-driver.js';
import { openSqlStore } from '../adapters/postgres/postgres-store.js';
import type { SqlDriver } from '../adapters/postgres/sql-driver.js';
import { tracedSqlDriver } from '../adapters/postgres/traced-sql-driver.js';
import type { EventsCommitted, Store } from '../adapters/store.js';
import { prometheusStoreConnections } from '../adapters/prometheus/business-metrics.js';
import type { Config } from '../config.js';
import { DomainError } from '../domain/errors.js';
import type { Health } from '../platform/health.js';
import type { Closers } from '../platform/lifecycle.js';
import type { Logger } from '../platform/logger.js';
import type { Telemetry } from './telemetry.js';

type SqlStoreConfig = Exclude<Config['store'], { kind: 'memory' }>;

/** A driver for the SQL store `store` names: PGlite on its data directory, or a PostgreSQL pool. */
export async function openSqlDriver(store: SqlStoreConfig, log: Logger): Promise<SqlDriver> {
  if (store.kind === 'embedded') return openPgliteDriver(store.dataDir);
  return openPgDriver({
    ...store,
    password: store.password?.reveal(),
    onIdleError: (error) => log.warn({ err: error }, 'idle PostgreSQL connection failed'),
  });
}

/** Tells `onFailure` of every call that failed because the database could not be reached in time. */
function reportingFailures(driver: SqlDriver, onFailure: () => void): SqlDriver {
  const seen = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      if (error instanceof DomainError && (error.code === 'UNAVAILABLE' || error.code === 'DEADLINE_EXCEEDED')) onFailure();
      throw error;
    });
  return {
    ...driver,
    query: (text, params, scope) => seen(driver.query(text, params, scope)),
    transaction: (work, scope) => seen(driver.transaction(work, scope)),
  };
}

/** `onFailure`: told when a call finds the database unreachable (readiness re-checks at once). */
export async function openStore(
  config: Config,
  telemetry: Telemetry,
  onCommit: EventsCommitted,
  onFailure: () => void = () => {},
): Promise<Store> {
  const { log, tracer } = telemetry;
  const store = config.store;
  if (store.kind === 'memory') {
    log.warn('using the in-memory store: nothing is persisted');
    return openMemoryStore(onCommit);
  }
  const namespace = store.kind === 'embedded' ? 'embedded' : store.database;
  if (store.kind === 'embedded') {
    const fresh = store.dataDir === undefined || !existsSync(store.dataDir) || readdirSync(store.dataDir).length === 0;
    if (fresh) log.info({ data_dir: store.dataDir ?? '(memory)' }, 'initialising the embedded store (first start only; a few seconds)');
  }
  const driver = reportingFailures(
    tracedSqlDriver(await openSqlDriver(store, log), tracer, { 'db.system.name': 'postgresql', 'db.namespace': namespace }),
    onFailure,
  );
  const opened = await openSqlStore(driver, { migrate: store.kind === 'embedded' || store.migrate, onCommit });
  const where = store.kind === 'embedded' ? { data_dir: store.dataDir ?? '(memory)' } : { host: store.host, database: store.database };
  log.info(
    { ...where, applied_migrations: opened.appliedMigrations },
    store.kind === 'embedded' ? 'embedded store open' : 'PostgreSQL store open',
  );
  return opened;
}

/**
 * The store as a dependency of a serving process (server, worker): a readiness check that a call
 * finding the database unreachable re-runs at once, its pool in the metrics, closed at the stop.
 */
export async function openServingStore(
  config: Config,
  telemetry: Telemetry,
  health: Health,
  closers: Closers,
  onCommit: EventsCommitted = () => {},
): Promise<Store> {
  const store = await openStore(config, telemetry, onCommit, () => health.suspect());
  closers.add('store', store.close);
  health.addCheck('store', () => store.ping());
  if (store.connections !== undefined) prometheusStoreConnections(telemetry.registry, store.connections);
  return store;
}
