// A short-TTL cache in front of a ProductCatalog (the remote one), over any Cache: one batch read
// and at most one batch write per call; concurrent misses for a product share one remote call.
// Products found are kept for `ttlMs`, so prices seen by new orders may be that stale. Absent
// products are not cached.
import type { Cache, ProductCatalog } from '../domain/ports.js';
import type { Product } from '../domain/product.js';
import { type CacheCodec, readThroughCache, type ReadThroughOptions } from './read-through-cache.js';

type ProductJson = { id: string; name: string; currencyCode: string; amountMinor: string; createTime: string; updateTime: string };

const PRODUCT_CODEC: CacheCodec<Product> = {
  key: (id) => `product:v1:${id}`,
  encode(p) {
    const json: ProductJson = {
      id: p.id,
      name: p.name,
      currencyCode: p.price.currencyCode,
      amountMinor: p.price.amountMinor.toString(),
      createTime: p.createTime.toISOString(),
      updateTime: p.updateTime.toISOString(),
    };
    return JSON.stringify(json);
  },
  decode(text) {
    const j = JSON.parse(text) as ProductJson;
    return {
      id: j.id,
      name: j.name,
      price: { currencyCode: j.currencyCode, amountMinor: BigInt(j.amountMinor) },
      createTime: new Date(j.createTime),
      updateTime: new Date(j.updateTime),
    };
  },
};

export function cachedProductCatalog(catalog: ProductCatalog, cache: Cache, options: ReadThroughOptions): ProductCatalog {
  const products = readThroughCache(cache, PRODUCT_CODEC, options);
  return {
    findProducts: (ids, scope) => products.getMany(ids, (missing, s) => catalog.findProducts(missing, s), scope),
  };
}
