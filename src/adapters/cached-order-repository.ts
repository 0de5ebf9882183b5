// A caching decorator for OrderRepository.get over any Cache (in-process or Redis, shared by every
// replica): use cases never know it exists. Writes go to the repository first, then overwrite the
// cached copy, so a caller reads its own writes on any replica. Copies are stored with the order's
// version and a copy never replaces a newer one, so a reader racing a writer cannot put back the
// older order. Left open: a write whose cache update fails (the cache is down at that moment)
// leaves the previous copy until its TTL ends.
import type { CallScope } from '../domain/call-scope.js';
import type { Order } from '../domain/order.js';
import type { Cache, OrderQuery, OrderRepository } from '../domain/ports.js';
import { fromOrderJson, type OrderJson, toOrderJson } from './order-json.js';
import { type CacheCodec, readThroughCache, type ReadThroughOptions } from './read-through-cache.js';

const ORDER_CODEC: CacheCodec<Order> = {
  key: (id) => `order:v1:${id}`,
  encode: (order) => JSON.stringify(toOrderJson(order)),
  decode: (text) => fromOrderJson(JSON.parse(text) as OrderJson),
  version: (order) => order.version,
};

export function cachedOrderRepository(repository: OrderRepository, cache: Cache, options: ReadThroughOptions): OrderRepository {
  const orders = readThroughCache(cache, ORDER_CODEC, options);
  const loadOne = async (ids: readonly string[], scope: CallScope) => {
    const id = ids[0] ?? '';
    const order = await repository.get(id, scope);
    return new Map(order === undefined ? [] : [[id, order]]);
  };

  return {
    async get(id: string, scope?: CallScope): Promise<Order | undefined> {
      return (await orders.getMany([id], loadOne, scope)).get(id);
    },

    findByIdempotencyKey: (customerId: string, key: string, scope?: CallScope) => repository.findByIdempotencyKey(customerId, key, scope),
    list: (query: OrderQuery, scope?: CallScope) => repository.list(query, scope),
    count: (query: Pick<OrderQuery, 'customerId' | 'status'>, scope?: CallScope) => repository.count(query, scope),

    async create(order: Order, scope?: CallScope) {
      const result = await repository.create(order, scope);
      await orders.put([[result.order.id, result.order]], scope);
      return result;
    },

    async update(id: string, change: (current: Order) => Order, scope?: CallScope) {
      const order = await repository.update(id, change, scope);
      await orders.put([[order.id, order]], scope);
      return order;
    },
  };
}
