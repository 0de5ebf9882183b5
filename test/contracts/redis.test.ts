// The Cache contract against the real Redis (127.0.0.1:6379), and the caching decorators over it
// under the same suites as what they wrap. Every key is under this file's own prefix, deleted at
// the end (never FLUSHALL: the server is shared).
import { afterAll, describe } from 'vitest';
import { cachedOrderRepository } from '../../src/adapters/cached-order-repository.js';
import { cachedProductCatalog } from '../../src/adapters/cached-product-catalog.js';
import { InProcessProductCatalog } from '../../src/adapters/in-process-catalog.js';
import { MemoryProductRepository, openMemoryStore } from '../../src/adapters/memory/memory-store.js';
import type { RedisCache } from '../../src/adapters/redis/redis-cache.js';
import { deleteByPrefix, openReadyRedisCache, REDIS, uniquePrefix } from '../support/redis.js';
import { serviceAvailable } from '../support/required-services.js';
import { cacheContract } from './cache.contract.js';
import { orderStoreContract } from './order-store.contract.js';
import { productCatalogContract } from './product-catalog.contract.js';

const available = await serviceAvailable('Redis', REDIS.host, REDIS.port);
const prefix = uniquePrefix('redis-contract');
const opened: RedisCache[] = [];
let n = 0;
const at = new Date('2026-01-01T00:00:00.000Z');

/** Each test its own namespace under the file's prefix, so tests never see each other's keys. */
async function open(): Promise<RedisCache> {
  const cache = await openReadyRedisCache({ keyPrefix: `${prefix}${++n}:` });
  opened.push(cache);
  return cache;
}

describe.skipIf(!available)('Redis', () => {
  afterAll(async () => {
    await Promise.all(opened.map((cache) => cache.close()));
    await deleteByPrefix(prefix);
  });

  cacheContract('Redis', open);

  orderStoreContract('memory store behind the Redis cache', async () => {
    const committed: bigint[] = [];
    const store = openMemoryStore((s) => committed.push(s));
    const orders = cachedOrderRepository(store.orders, await open(), { ttlMs: 60_000, jitterRatio: 0.1 });
    return { store: { ...store, orders }, committed };
  });

  productCatalogContract('in-process catalog behind the Redis cache', async () => {
    const products = new MemoryProductRepository();
    await products.upsert({ id: 'espresso', name: 'Espresso', price: { currencyCode: 'EUR', amountMinor: 1250n } }, at);
    await products.upsert({ id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400n } }, at);
    return cachedProductCatalog(new InProcessProductCatalog(products), await open(), { ttlMs: 60_000 });
  });
});
