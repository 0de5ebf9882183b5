// Entry point: applies pending SQL migrations to the configured store and exits (a Kubernetes
// Job or init container runs this before a PostgreSQL deployment; the embedded store also
// migrates itself at startup). CONF_PATH=config/prod.yaml node dist/cmd/migrate.js
import { migrate } from '../adapters/postgres/migrator.js';
import { loadConfigOrExit } from '../wiring/entry-point.js';
import { openSqlDriver } from '../wiring/store.js';
import { createRootLogger } from '../wiring/telemetry.js';

const { config } = loadConfigOrExit('orderflow migrate');
const log = createRootLogger(config, { component: 'migrate' });
const store = config.store;
if (store.kind === 'memory') {
  log.info('the memory store has no schema; nothing to migrate');
  process.exit(0);
}
const driver = await openSqlDriver(store, log).catch((error: unknown) => {
  // A data directory held by a running server, most often: one sentence, no stack.
  process.stderr.write(`orderflow migrate: cannot open the store: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
// Interrupted, the open transaction is never committed; exiting releases the data-directory lock.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.error({ signal }, 'interrupted; a migration transaction not yet committed is rolled back');
    process.exit(1);
  });
}
try {
  const applied = await migrate(driver);
  log.info({ applied, store: store.kind }, applied.length === 0 ? 'schema is up to date' : 'migrations applied');
} catch (error) {
  log.fatal({ err: error }, 'migration failed; nothing was changed');
  process.exitCode = 1;
} finally {
  await driver.close();
}
