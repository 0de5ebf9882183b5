// The composition root: the only module that knows every concrete adapter. createApp(config)
// wires the application by hand; start() listens, stop() shuts down in the documented order.
import { readFileSync } from 'node:fs';
import { existsSync, readdirSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import { cachedOrderRepository } from './adapters/cached-order-repository.js';
import { InProcessProductCatalog } from './adapters/in-process-catalog.js';
import { LocalEventSignal } from './adapters/local-event-signal.js';
import { MemoryCache } from './adapters/memory/memory-cache.js';
import { openMemoryStore } from './adapters/memory/memory-store.js';
import { openPgDriver } from './adapters/postgres/pg-driver.js';
import { openPgliteDriver } from './adapters/postgres/pglite-driver.js';
import { openSqlStore } from './adapters/postgres/postgres-store.js';
import type { EventsCommitted, Store } from './adapters/store.js';
import { createUuidV7Generator, systemClock } from './adapters/system.js';
import { catalogUseCases, type CatalogUseCases } from './domain/catalog-use-cases.js';
import { DomainError } from './domain/errors.js';
import { orderUseCases } from './domain/order-use-cases.js';
import type { Clock, IdGenerator } from './domain/ports.js';
import { createAdminServer } from './platform/admin-server.js';
import { type Config, ConfigError, describeConfig } from './platform/config.js';
import { createHealth } from './platform/health.js';
import { Closers, type Stoppable } from './platform/lifecycle.js';
import { createLogger, type Logger } from './platform/logger.js';
import { createMetricsRegistry } from './platform/metrics.js';
import { createGrpcServer } from './transport/grpc/grpc-server.js';
import { addServices } from './transport/grpc/services.js';

/** The only substitutions tests may make: time, ids, and where logs go. */
export type AppSeams = Readonly<{ now?: Clock; newId?: IdGenerator; logDestination?: DestinationStream }>;

export type App = Stoppable & {
  readonly log: Logger;
  /** Listens on the configured ports (0 picks free ones) and reports SERVING. */
  start(): Promise<{ grpcPort: number; adminPort: number }>;
};

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function createApp(config: Config, seams: AppSeams = {}): Promise<App> {
  const log = createLogger(config.log, { app: config.service.name, env: config.env }, seams.logDestination);
  log.info({ version: VERSION, config: describeConfig(config) }, 'starting');
  const closers = new Closers(log);
  try {
    return await assemble(config, seams, log, closers);
  } catch (error) {
    await closers.closeAll(config.shutdown.closeTimeoutMs);
    throw error;
  }
}

async function assemble(config: Config, seams: AppSeams, log: Logger, closers: Closers): Promise<App> {
  const registry = createMetricsRegistry();
  const health = createHealth({
    ...config.health,
    onCheckFailed: (check, error) => log.warn({ check, err: error }, 'readiness check failed'),
  });
  const eventSignal = new LocalEventSignal();
  const store = await openStore(config, log, (sequence) => eventSignal.notify(sequence));
  closers.add('store', store.close);
  health.addCheck('store', () => store.ping());

  const now = seams.now ?? systemClock;
  const catalog = catalogUseCases({ products: store.products, now });
  await seedCatalog(catalog, config);
  const orders = orderUseCases({
    orders: cachedOrderRepository(store.orders, new MemoryCache({ maxEntries: config.cache.maxEntries }), {
      ttlMs: config.cache.ttlMs,
      observer: { hit() {}, miss() {}, error: (error) => log.warn({ err: error }, 'order cache failed') },
    }),
    events: store.events,
    eventSignal,
    catalog: new InProcessProductCatalog(store.products),
    now,
    newId: seams.newId ?? createUuidV7Generator(),
  });

  const grpc = createGrpcServer(config.grpc, log, (server) =>
    addServices(server, { orders, catalog, health, reflection: config.grpc.reflection }),
  );
  const admin = createAdminServer({ health, registry, log });
  let stopping: Promise<number> | undefined;
  let forced = false;

  return {
    log,
    async start() {
      const grpcPort = await grpc.listen(config.grpc.host, config.grpc.port);
      const adminPort = await admin.listen(config.admin.host, config.admin.port);
      const report = await health.start();
      log.info({ grpc: `${config.grpc.host}:${grpcPort}`, admin: `${config.admin.host}:${adminPort}`, ready: report.ready }, 'serving');
      return { grpcPort, adminPort };
    },
    stop() {
      stopping ??= (async () => {
        health.stop();
        // Let health watchers receive NOT_SERVING before their streams are ended.
        await new Promise((resolve) => setTimeout(resolve, config.shutdown.drainDelayMs));
        const drained = await grpc.drain(config.shutdown.timeoutMs);
        await admin.close();
        const closed = await closers.closeAll(config.shutdown.closeTimeoutMs);
        const code = drained && closed && !forced ? 0 : 1;
        log.info({ drained, closed, forced, exit_code: code }, 'stopped');
        log.flush();
        return code;
      })();
      return stopping;
    },
    force() {
      forced = true;
      grpc.force();
    },
  };
}

async function openStore(config: Config, log: Logger, onCommit: EventsCommitted): Promise<Store> {
  const store = config.store;
  switch (store.kind) {
    case 'memory':
      log.warn('using the in-memory store: nothing is persisted');
      return openMemoryStore(onCommit);
    case 'embedded': {
      const fresh = store.dataDir === undefined || !existsSync(store.dataDir) || readdirSync(store.dataDir).length === 0;
      if (fresh) log.info({ data_dir: store.dataDir ?? '(memory)' }, 'initialising the embedded store (first start only; a few seconds)');
      const opened = await openSqlStore(await openPgliteDriver(store.dataDir), { migrate: true, onCommit });
      log.info({ data_dir: store.dataDir ?? '(memory)', applied_migrations: opened.appliedMigrations }, 'embedded store open');
      return opened;
    }
    case 'postgres': {
      const driver = openPgDriver({
        ...store,
        password: store.password?.reveal(),
        onIdleError: (error) => log.warn({ err: error }, 'idle PostgreSQL connection failed'),
      });
      const opened = await openSqlStore(driver, { migrate: store.migrate, onCommit });
      log.info({ host: store.host, database: store.database, applied_migrations: opened.appliedMigrations }, 'PostgreSQL store open');
      return opened;
    }
  }
}

async function seedCatalog(catalog: CatalogUseCases, config: Config): Promise<void> {
  for (const [i, product] of config.catalog.seed.entries()) {
    try {
      await catalog.upsert({ ...product, price: { currencyCode: product.price.currencyCode, amountMinor: BigInt(product.price.amountMinor) } });
    } catch (error) {
      if (error instanceof DomainError) throw new ConfigError(`catalog.seed[${i}] is not a valid product: ${error.message}`);
      throw error;
    }
  }
}
