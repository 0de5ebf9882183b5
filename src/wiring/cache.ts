// The configured cache in front of the order repository and the remote catalog: in-process
// (cache.kind: memory, one LRU per use) or one Redis connection shared by both (cache.kind:
// redis). No in-process layer sits above Redis, so a write on one replica is what every replica
// reads next. Redis failing costs latency only: calls go to the source, a throttled warning and
// orderflow_cache_errors_total say so, /health reports the `cache` check (informational: the
// process stays ready) and orderflow_cache_up drops to 0.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { cachedOrderRepository } from '../adapters/cached-order-repository.js';
import { cachedProductCatalog } from '../adapters/cached-product-catalog.js';
import { MemoryCache } from '../adapters/memory/memory-cache.js';
import { prometheusCacheObserver, prometheusCacheUp } from '../adapters/prometheus/business-metrics.js';
import { RedisCache } from '../adapters/redis/redis-cache.js';
import { tracedCache } from '../adapters/traced-cache.js';
import type { Config } from '../config.js';
import type { Cache, OrderRepository, ProductCatalog } from '../domain/ports.js';
import type { Health } from '../platform/health.js';
import type { Closers } from '../platform/lifecycle.js';
import type { Logger } from '../platform/logger.js';
import type { Telemetry } from './telemetry.js';

export type Caching = Readonly<{
  /** `repository` with the configured cache in front of `get`. */
  orders(repository: OrderRepository): OrderRepository;
  /** `catalog` with a product cache in front (`ttlMs` 0: none). `maxEntries` bounds an in-process one. */
  products(catalog: ProductCatalog, options: { ttlMs: number; maxEntries: number }): ProductCatalog;
}>;

/** How often at most one cache's failures are logged; the line counts those left out. */
const WARN_INTERVAL_MS = 10_000;

export function createCaching(config: Config, telemetry: Telemetry, closers: Closers, health: Health): Caching {
  const { log, registry, tracer } = telemetry;
  const settings = config.cache;
  // One connection for every use, opened by the first (a catalog-only process opens none).
  let redis: RedisCache | undefined;
  const shared = () => (redis ??= openRedis(config, log, closers, health));
  const open = (maxEntries: number): Cache =>
    settings.kind === 'redis' ? tracedCache(shared(), tracer, 'redis') : tracedCache(new MemoryCache({ maxEntries }), tracer, 'memory');
  const observe = (name: string, message: string) => {
    prometheusCacheUp(registry, name, () => redis?.isUp() ?? settings.kind === 'memory');
    return prometheusCacheObserver(registry, name, throttledWarning(log, message, { cache: name, cache_kind: settings.kind }));
  };
  return {
    orders: (repository) =>
      cachedOrderRepository(repository, open(settings.maxEntries), {
        ttlMs: settings.ttlMs,
        jitterRatio: settings.ttlJitterRatio,
        observer: observe('orders', 'order cache failed; served from the store'),
      }),
    products: (catalog, { ttlMs, maxEntries }) =>
      ttlMs === 0
        ? catalog
        : cachedProductCatalog(catalog, open(maxEntries), {
            ttlMs,
            jitterRatio: settings.ttlJitterRatio,
            observer: observe('products', 'product cache failed; asked the catalog'),
          }),
  };
}

function openRedis(config: Config, log: Logger, closers: Closers, health: Health): RedisCache {
  const { redis } = config.cache;
  const where = { host: redis.host, port: redis.port, db: redis.db, key_prefix: redis.keyPrefix };
  const unreachable = throttledWarning(log, 'Redis cache unreachable; retrying in the background', where);
  const cache = new RedisCache({
    ...redis,
    password: redis.password?.reveal(),
    tls: redisTls(redis.tls),
    onConnection: (up) =>
      up
        ? log.info(where, 'Redis cache connected')
        : log.warn(where, 'Redis cache connection lost; calls go to the store until it is back'),
    onConnectionError: unreachable,
  });
  closers.add('cache', () => cache.close());
  health.addCheck('cache', (signal) => cache.ping(signal), 'informational');
  log.info(where, 'Redis cache configured (connecting in the background)');
  return cache;
}

function redisTls(tls: Config['cache']['redis']['tls']): ConnectionOptions | undefined {
  if (!tls.enabled) return undefined;
  return {
    ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
  };
}

/** A warning logged at most once per WARN_INTERVAL_MS, with the number of failures not logged since. */
function throttledWarning(log: Logger, message: string, fields: Record<string, unknown>): (error: unknown) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (error) => {
    const now = performance.now();
    if (now - last < WARN_INTERVAL_MS) {
      suppressed += 1;
      return;
    }
    log.warn({ ...fields, err: error, suppressed }, message);
    last = now;
    suppressed = 0;
  };
}
