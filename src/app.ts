// The composition root: the only module that knows every concrete adapter. createApp(config)
// wires the application by hand; start() listens, stop() shuts down in the documented order.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { credentials } from '@grpc/grpc-js';
import type { TextMapPropagator, Tracer } from '@opentelemetry/api';
import type { DestinationStream } from 'pino';
import type { MetricsRegistry } from './platform/metrics.js';
import { CATALOG_CLIENT_METHODS, GrpcProductCatalog } from './adapters/grpc/grpc-product-catalog.js';
import { createUnaryClient } from './adapters/grpc/grpc-unary-client.js';
import { InProcessProductCatalog } from './adapters/in-process-catalog.js';
import { LocalEventSignal } from './adapters/local-event-signal.js';
import { openMemoryStore } from './adapters/memory/memory-store.js';
import { openPgDriver } from './adapters/postgres/pg-driver.js';
import { openPgliteDriver } from './adapters/postgres/pglite-driver.js';
import { openSqlStore } from './adapters/postgres/postgres-store.js';
import type { SqlDriver } from './adapters/postgres/sql-driver.js';
import { tracedSqlDriver } from './adapters/postgres/traced-sql-driver.js';
import { prometheusOrderMetrics, prometheusStoreConnections } from './adapters/prometheus/business-metrics.js';
import type { EventsCommitted, Store } from './adapters/store.js';
import { createUuidV7Generator, systemClock } from './adapters/system.js';
import { catalogUseCases, type CatalogUseCases } from './domain/catalog-use-cases.js';
import { DomainError } from './domain/errors.js';
import { orderUseCases } from './domain/order-use-cases.js';
import type { Clock, IdGenerator, ProductCatalog } from './domain/ports.js';
import { createAdminServer } from './platform/admin-server.js';
import { createAuthenticator } from './platform/auth/authenticator.js';
import type { Config } from './config.js';
import { ConfigError, describeConfig } from './platform/config.js';
import { createDebugRoutes } from './platform/debug-routes.js';
import { createGrpcMetrics } from './platform/grpc-metrics.js';
import { createHealth } from './platform/health.js';
import { Closers, type Stoppable } from './platform/lifecycle.js';
import { createLogger, type Logger } from './platform/logger.js';
import { createMetricsRegistry } from './platform/metrics.js';
import { createRateLimiter } from './platform/rate-limiter.js';
import { createTracing } from './platform/tracing.js';
import { createGrpcServer } from './transport/grpc/grpc-server.js';
import { DEV_PRINCIPAL, METHOD_SCOPES } from './transport/grpc/orderflow-scopes.js';
import { orderflowMethods } from './transport/grpc/services.js';
import { type Caching, createCaching } from './wiring/cache.js';

/** The only substitutions tests may make: time, ids, and where logs go. */
export type AppSeams = Readonly<{ now?: Clock; newId?: IdGenerator; logDestination?: DestinationStream }>;

export type App = Stoppable & {
  readonly log: Logger;
  /** Listens on the configured ports (0 picks free ones) and reports SERVING. */
  start(): Promise<{ grpcPort: number; adminPort: number }>;
};

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What every part that observes itself needs. */
type Telemetry = Readonly<{ log: Logger; registry: MetricsRegistry; tracer: Tracer; propagator: TextMapPropagator }>;

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
  const registry = createMetricsRegistry({ buildInfo: { name: `${config.service.name.replace(/\W/g, '_')}_build_info`, labels: { version: VERSION, env: config.env } } });
  const tracing = createTracing(config.tracing, { name: config.service.name, version: VERSION, environment: config.env, instance: `${hostname()}:${process.pid}` });
  closers.add('tracing', tracing.shutdown);
  const telemetry: Telemetry = { log, registry, tracer: tracing.tracer, propagator: tracing.propagator };

  const health = createHealth({ ...config.health, onCheckFailed: (check, error) => log.warn({ check, err: error }, 'readiness check failed') });
  const eventSignal = new LocalEventSignal();
  const store = await openStore(config, telemetry, (sequence) => eventSignal.notify(sequence));
  closers.add('store', store.close);
  health.addCheck('store', () => store.ping());
  if (store.connections !== undefined) prometheusStoreConnections(registry, store.connections);

  const now = seams.now ?? systemClock;
  const catalog = config.services.catalog ? catalogUseCases({ products: store.products, now }) : undefined;
  if (catalog !== undefined) await seedCatalog(catalog, config);
  const caching = createCaching(config, telemetry, closers, health);
  const orders = config.services.orders
    ? orderUseCases({
        orders: caching.orders(store.orders),
        events: store.events,
        eventSignal,
        catalog: productCatalog(config, store, telemetry, closers, caching),
        now,
        newId: seams.newId ?? createUuidV7Generator(),
        metrics: prometheusOrderMetrics(registry),
      })
    : undefined;

  const methods = orderflowMethods({ orders, catalog, health, reflection: config.grpc.reflection, maxImportItems: config.limits.maxImportItems });
  const grpc = createGrpcServer(
    config.grpc,
    {
      log,
      telemetry: config.grpc.callTelemetry ? { ...telemetry, metrics: createGrpcMetrics(registry, 'server', []) } : undefined,
      admission: {
        scopes: METHOD_SCOPES,
        authenticate: config.auth.enabled ? createAuthenticator(config.auth, { now: () => now().getTime() }) : undefined,
        anonymous: DEV_PRINCIPAL,
        limit: createRateLimiter({ ratePerSecond: config.limits.ratePerSecond, burst: config.limits.rateBurst }),
      },
      timeouts: { defaultDeadlineMs: config.limits.defaultDeadlineMs, methodDeadlinesMs: config.limits.methodDeadlinesMs, streamIdleMs: config.limits.streamIdleTimeoutMs },
    },
    methods,
  );
  const admin = createAdminServer({ health, registry, log, routes: createDebugRoutes({ ...config.debug, log, name: config.service.name }) });
  return lifecycle(config, { log, grpc, admin, health, closers });
}

function lifecycle(
  config: Config,
  parts: { log: Logger; grpc: ReturnType<typeof createGrpcServer>; admin: ReturnType<typeof createAdminServer>; health: ReturnType<typeof createHealth>; closers: Closers },
): App {
  const { log, grpc, admin, health, closers } = parts;
  let stopping: Promise<number> | undefined;
  return {
    log,
    async start() {
      const grpcPort = await grpc.listen(config.grpc.host, config.grpc.port);
      const adminPort = await admin.listen(config.admin.host, config.admin.port);
      const report = await health.start();
      log.info({ grpc: `${config.grpc.host}:${grpcPort}`, admin: `${config.admin.host}:${adminPort}`, services: config.services, ready: report.ready }, 'serving');
      return { grpcPort, adminPort };
    },
    stop() {
      stopping ??= (async () => {
        health.stop();
        // Let health watchers receive NOT_SERVING before their streams are ended.
        await new Promise((resolve) => setTimeout(resolve, config.shutdown.drainDelayMs));
        const { cut, reason } = await grpc.drain(config.shutdown.timeoutMs);
        await admin.close();
        const closed = await closers.closeAll(config.shutdown.closeTimeoutMs);
        const code = cut === 0 && closed ? 0 : 1;
        log.info({ drain: reason, calls_cut: cut, closed, exit_code: code }, 'stopped');
        log.flush();
        return code;
      })();
      return stopping;
    },
    force() {
      grpc.force();
    },
  };
}

/** In-process when this process hosts the catalog; otherwise a cached gRPC client of the remote one. */
function productCatalog(config: Config, store: Store, telemetry: Telemetry, closers: Closers, caching: Caching): ProductCatalog {
  const remote = config.catalog.remote;
  if (config.services.catalog || remote === undefined) return new InProcessProductCatalog(store.products);
  const client = createUnaryClient({
    ...remote,
    ...telemetry,
    ...remoteCredentials(remote),
    metrics: createGrpcMetrics(telemetry.registry, 'client', CATALOG_CLIENT_METHODS),
    onRetry: ({ path, attempt, backoffMs, error }) => telemetry.log.warn({ path, attempt, backoff_ms: backoffMs, err: error }, 'catalog call failed; retrying'),
  });
  closers.add('catalog client', () => Promise.resolve(client.close()));
  return caching.products(new GrpcProductCatalog(client), { ttlMs: remote.cacheTtlMs, maxEntries: remote.cacheMaxEntries });
}

function remoteCredentials(remote: NonNullable<Config['catalog']['remote']>) {
  const { tls, apiKey } = remote;
  const read = (file: string | undefined) => (file === undefined ? null : readFileSync(file));
  return {
    credentials: tls.enabled ? credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile)) : credentials.createInsecure(),
    channelOptions: tls.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': tls.serverName },
    metadata: apiKey === undefined ? {} : { 'x-api-key': apiKey.reveal() },
  };
}

async function openStore(config: Config, telemetry: Telemetry, onCommit: EventsCommitted): Promise<Store> {
  const { log, tracer } = telemetry;
  const store = config.store;
  const traced = (driver: SqlDriver, namespace: string) => tracedSqlDriver(driver, tracer, { 'db.system.name': 'postgresql', 'db.namespace': namespace });
  switch (store.kind) {
    case 'memory':
      log.warn('using the in-memory store: nothing is persisted');
      return openMemoryStore(onCommit);
    case 'embedded': {
      const where = store.dataDir ?? '(memory)';
      const fresh = store.dataDir === undefined || !existsSync(store.dataDir) || readdirSync(store.dataDir).length === 0;
      if (fresh) log.info({ data_dir: where }, 'initialising the embedded store (first start only; a few seconds)');
      const opened = await openSqlStore(traced(await openPgliteDriver(store.dataDir), 'embedded'), { migrate: true, onCommit });
      log.info({ data_dir: where, applied_migrations: opened.appliedMigrations }, 'embedded store open');
      return opened;
    }
    case 'postgres': {
      const driver = openPgDriver({ ...store, password: store.password?.reveal(), onIdleError: (error) => log.warn({ err: error }, 'idle PostgreSQL connection failed') });
      const opened = await openSqlStore(traced(driver, store.database), { migrate: store.migrate, onCommit });
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
