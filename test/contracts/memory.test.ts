// The contract suites against the in-memory fakes.
import { MemoryCache } from '../../src/adapters/memory/memory-cache.js';
import { MemoryProductRepository, openMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { cacheContract } from './cache.contract.js';
import { orderStoreContract } from './order-store.contract.js';
import { productRepositoryContract } from './product-repository.contract.js';

productRepositoryContract('memory', () => Promise.resolve(new MemoryProductRepository()));
orderStoreContract('memory', () => {
  const committed: bigint[] = [];
  return Promise.resolve({ store: openMemoryStore((s) => committed.push(s)), committed });
});
cacheContract('memory', () => Promise.resolve(new MemoryCache({ maxEntries: 100 })));
