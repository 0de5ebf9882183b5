// The composition root of the server: createApp(config) wires orderflow by hand from the builders
// in src/wiring (shared with the other entry points); start() listens, stop() shuts down in the
// documented order (src/wiring/serve.ts).
import type { DestinationStream } from 'pino';
import { LocalEventSignal } from './adapters/local-event-signal.js';
import { prometheusOrderMetrics } from './adapters/prometheus/business-metrics.js';
import { createUuidV7Generator, systemClock } from './adapters/system.js';
import type { Config } from './config.js';
import { catalogUseCases } from './domain/catalog-use-cases.js';
import { orderUseCases } from './domain/order-use-cases.js';
import type { Clock, IdGenerator } from './domain/ports.js';
import { createAdminServer } from './platform/admin-server.js';
import { describeConfig } from './platform/config.js';
import { createDebugRoutes } from './platform/debug-routes.js';
import { Closers } from './platform/lifecycle.js';
import type { Logger } from './platform/logger.js';
import { createCaching } from './wiring/cache.js';
import { createExports } from './wiring/exports.js';
import { productCatalog, seedCatalog } from './wiring/catalog.js';
import { openEventSignal } from './wiring/events.js';
import { createOrderflowGrpcServer } from './wiring/grpc-server.js';
import { type App, serve } from './wiring/serve.js';
import { openServingStore } from './wiring/store.js';
import { createReadiness, createRootLogger, createTelemetry, VERSION } from './wiring/telemetry.js';

export type { App } from './wiring/serve.js';

/** The only substitutions tests may make: time, ids, and where logs go. */
export type AppSeams = Readonly<{ now?: Clock; newId?: IdGenerator; logDestination?: DestinationStream }>;

/** `configWarnings`: what the config loader ignored (see loadConfig), logged once the logger exists. */
export async function createApp(config: Config, seams: AppSeams = {}, configWarnings: readonly string[] = []): Promise<App> {
  const log = createRootLogger(config, { destination: seams.logDestination });
  announce(log, config, configWarnings);
  const closers = new Closers(log);
  try {
    return await assemble(config, seams, log, closers);
  } catch (error) {
    await closers.closeAll(config.shutdown.closeTimeoutMs);
    throw error;
  }
}

async function assemble(config: Config, seams: AppSeams, log: Logger, closers: Closers): Promise<App> {
  const telemetry = createTelemetry(config, log, closers);
  const health = createReadiness(config, log);
  const localEvents = new LocalEventSignal();
  const store = await openServingStore(config, telemetry, health, closers, (sequence) => localEvents.notify(sequence));
  const signals = await openEventSignal(config, store, localEvents, { log, closers, health, registry: telemetry.registry });

  const caching = createCaching(config, telemetry, closers, health);
  const now = seams.now ?? systemClock;
  const newId = seams.newId ?? createUuidV7Generator();
  const catalog = config.services.catalog ? catalogUseCases({ products: store.products, now }) : undefined;
  if (catalog !== undefined) await seedCatalog(catalog, config);
  const orders = config.services.orders
    ? orderUseCases({
        orders: caching.orders(store.orders),
        events: store.events,
        eventSignal: signals.events,
        catalog: productCatalog(config, store, telemetry, closers, caching),
        now,
        newId,
        metrics: prometheusOrderMetrics(telemetry.registry),
        watchBufferLimit: config.limits.watchBufferEvents,
      })
    : undefined;

  const exports = config.services.orders
    ? createExports(config, store, telemetry, closers, {
        orders: store.orders,
        now,
        newId,
        runJobs: config.services.exports,
        hub: signals.hub,
      })
    : undefined;
  if (exports !== undefined) {
    // Closed before the store: running jobs get half the close budget, then are handed back.
    closers.add('export jobs', async () => void (await exports.stopJobs(config.shutdown.closeTimeoutMs / 2)));
    await exports.start();
  }

  const grpc = createOrderflowGrpcServer(
    config,
    telemetry,
    { orders, catalog, health, exports: exports && { useCases: exports.useCases, propagator: telemetry.propagator } },
    now,
  );
  const admin = createAdminServer({
    health,
    registry: telemetry.registry,
    log,
    routes: createDebugRoutes({ ...config.debug, log, name: config.service.name }),
  });
  return serve(config, { log, grpc, admin, health, closers });
}

function announce(log: Logger, config: Config, configWarnings: readonly string[]): void {
  log.info({ version: VERSION, config: describeConfig(config) }, 'starting');
  for (const warning of configWarnings) log.warn(warning);
  if (!config.auth.enabled)
    log.warn('authentication is off (auth.enabled: false): every call is allowed, with admin rights; never do this outside development');
}
