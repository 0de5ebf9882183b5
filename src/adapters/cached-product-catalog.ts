// A short-TTL cache in front of a ProductCatalog (the remote one): products found are kept for
// `ttlMs`, so prices seen by new orders may be that stale. Absent products are not cached.
import type { Cache, ProductCatalog } from '../domain/ports.js';
import type { Product } from '../domain/product.js';
import type { CacheObserver } from './cached-order-repository.js';

type ProductJson = { id: string; name: string; currencyCode: string; amountMinor: string; createTime: string; updateTime: string };

const key = (id: string) => `product:v1:${id}`;

function encode(p: Product): string {
  const json: ProductJson = { id: p.id, name: p.name, currencyCode: p.price.currencyCode, amountMinor: p.price.amountMinor.toString(), createTime: p.createTime.toISOString(), updateTime: p.updateTime.toISOString() };
  return JSON.stringify(json);
}

function decode(text: string): Product {
  const j = JSON.parse(text) as ProductJson;
  return { id: j.id, name: j.name, price: { currencyCode: j.currencyCode, amountMinor: BigInt(j.amountMinor) }, createTime: new Date(j.createTime), updateTime: new Date(j.updateTime) };
}

export function cachedProductCatalog(catalog: ProductCatalog, cache: Cache, options: { ttlMs: number; observer: CacheObserver }): ProductCatalog {
  const { ttlMs, observer } = options;
  return {
    async findProducts(ids, scope) {
      const found = new Map<string, Product>();
      const missing: string[] = [];
      for (const id of ids) {
        const cached = await cache.get(key(id)).catch((error: unknown) => observer.error(error));
        if (cached === undefined) missing.push(id);
        else found.set(id, decode(cached));
        (cached === undefined ? observer.miss : observer.hit)();
      }
      if (missing.length === 0) return found;
      for (const [id, product] of await catalog.findProducts(missing, scope)) {
        found.set(id, product);
        await cache.set(key(id), encode(product), ttlMs).catch((error: unknown) => observer.error(error));
      }
      return found;
    },
  };
}
