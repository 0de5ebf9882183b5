// A caching decorator for OrderRepository.get: use cases never know it exists. Writes go through
// to the repository first, then refresh the cached copy, so a caller reads its own writes. A
// reader racing a writer can put back an older copy; it lives at most `ttlMs`.
import type { CallScope } from '../domain/call-scope.js';
import type { Order } from '../domain/order.js';
import type { Cache, OrderQuery, OrderRepository } from '../domain/ports.js';
import { fromOrderJson, type OrderJson, toOrderJson } from './order-json.js';

export type CacheObserver = Readonly<{ hit(): void; miss(): void; error(error: unknown): void }>;

const key = (id: string) => `order:v1:${id}`;

export function cachedOrderRepository(
  repository: OrderRepository,
  cache: Cache,
  options: { ttlMs: number; observer?: CacheObserver },
): OrderRepository {
  const observer = options.observer;

  async function remember(order: Order): Promise<void> {
    try {
      await cache.set(key(order.id), JSON.stringify(toOrderJson(order)), options.ttlMs);
    } catch (error) {
      observer?.error(error);
    }
  }

  return {
    async get(id: string, scope?: CallScope): Promise<Order | undefined> {
      let cached: string | undefined;
      try {
        cached = await cache.get(key(id));
      } catch (error) {
        observer?.error(error);
      }
      if (cached !== undefined) {
        observer?.hit();
        return fromOrderJson(JSON.parse(cached) as OrderJson);
      }
      observer?.miss();
      const order = await repository.get(id, scope);
      if (order !== undefined) await remember(order);
      return order;
    },

    findByIdempotencyKey: (customerId: string, key: string, scope?: CallScope) => repository.findByIdempotencyKey(customerId, key, scope),
    list: (query: OrderQuery, scope?: CallScope) => repository.list(query, scope),

    async create(order: Order, scope?: CallScope) {
      const result = await repository.create(order, scope);
      await remember(result.order);
      return result;
    },

    async update(id: string, change: (current: Order) => Order, scope?: CallScope) {
      const order = await repository.update(id, change, scope);
      await remember(order);
      return order;
    },
  };
}
