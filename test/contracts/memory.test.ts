// The contract suites against the in-memory fakes, and the caching decorators over the memory
// cache under the same suites as what they wrap.
import { cachedOrderRepository } from '../../src/adapters/cached-order-repository.js';
import { cachedProductCatalog } from '../../src/adapters/cached-product-catalog.js';
import { InProcessProductCatalog } from '../../src/adapters/in-process-catalog.js';
import { MemoryCache } from '../../src/adapters/memory/memory-cache.js';
import { MemoryProductRepository, openMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { MemoryExportJobStore } from '../../src/adapters/memory/memory-export-job-store.js';
import { cacheContract } from './cache.contract.js';
import { exportJobStoreContract } from './export-job-store.contract.js';
import { orderStoreContract } from './order-store.contract.js';
import { productCatalogContract } from './product-catalog.contract.js';
import { productRepositoryContract } from './product-repository.contract.js';

const at = new Date('2026-01-01T00:00:00.000Z');

productRepositoryContract('memory', () => Promise.resolve(new MemoryProductRepository()));
orderStoreContract('memory', () => {
  const committed: bigint[] = [];
  return Promise.resolve({ store: openMemoryStore((s) => committed.push(s)), committed });
});
cacheContract('memory', () => Promise.resolve(new MemoryCache({ maxEntries: 100 })));
exportJobStoreContract('memory', () => Promise.resolve(new MemoryExportJobStore()));

orderStoreContract('memory store behind the memory cache', () => {
  const committed: bigint[] = [];
  const store = openMemoryStore((s) => committed.push(s));
  const orders = cachedOrderRepository(store.orders, new MemoryCache({ maxEntries: 100 }), { ttlMs: 60_000, jitterRatio: 0.1 });
  return Promise.resolve({ store: { ...store, orders }, committed });
});
productCatalogContract('in-process catalog behind the memory cache', async () => {
  const products = new MemoryProductRepository();
  await products.upsert({ id: 'espresso', name: 'Espresso', price: { currencyCode: 'EUR', amountMinor: 1250n } }, at);
  await products.upsert({ id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400n } }, at);
  return cachedProductCatalog(new InProcessProductCatalog(products), new MemoryCache({ maxEntries: 100 }), { ttlMs: 60_000 });
});
