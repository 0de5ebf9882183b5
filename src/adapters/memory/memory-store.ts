// In-memory store: the fake behind every port, held to the same contract suites as PGlite and
// PostgreSQL. Each method runs without awaiting between read and write, so it is atomic.
import { DomainError, notFound } from '../../domain/errors.js';
import type { Order } from '../../domain/order.js';
import type { OrderEvent, OrderEventType } from '../../domain/order-event.js';
import type { EventQuery, OrderEventLog, OrderQuery, OrderRepository, ProductRecord, ProductRepository } from '../../domain/ports.js';
import type { Product } from '../../domain/product.js';
import type { EventsCommitted, Store } from '../store.js';
import { MemoryExportJobStore } from './memory-export-job-store.js';

export class MemoryProductRepository implements ProductRepository {
  private readonly products = new Map<string, Product>();

  get(id: string): Promise<Product | undefined> {
    return Promise.resolve(this.products.get(id));
  }

  getMany(ids: readonly string[]): Promise<Product[]> {
    return Promise.resolve(ids.flatMap((id) => this.products.get(id) ?? []));
  }

  list({ afterId, limit }: { afterId: string; limit: number }): Promise<Product[]> {
    const ids = [...this.products.keys()].filter((id) => id > afterId).sort();
    return Promise.resolve(ids.slice(0, limit).map((id) => this.products.get(id) as Product));
  }

  upsert(record: ProductRecord, now: Date): Promise<Product> {
    const existing = this.products.get(record.id);
    const product: Product = { ...record, createTime: existing?.createTime ?? now, updateTime: now };
    this.products.set(record.id, product);
    return Promise.resolve(product);
  }
}

export class MemoryOrderStore implements OrderRepository, OrderEventLog {
  private readonly orders = new Map<string, Order>();
  private readonly byIdempotencyKey = new Map<string, string>();
  private readonly log: OrderEvent[] = [];

  constructor(private readonly onCommit: EventsCommitted = () => {}) {}

  get(id: string): Promise<Order | undefined> {
    return Promise.resolve(this.orders.get(id));
  }

  findByIdempotencyKey(customerId: string, key: string): Promise<Order | undefined> {
    const id = key === '' ? undefined : this.byIdempotencyKey.get(JSON.stringify([customerId, key]));
    return Promise.resolve(id === undefined ? undefined : this.orders.get(id));
  }

  list(query: OrderQuery): Promise<Order[]> {
    const matches = [...this.orders.values()]
      .filter((o) => query.customerId === undefined || o.customerId === query.customerId)
      .filter((o) => query.status === undefined || o.status === query.status)
      .filter((o) => query.beforeId === '' || o.id < query.beforeId)
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    return Promise.resolve(matches.slice(0, query.limit));
  }

  count(query: Pick<OrderQuery, 'customerId' | 'status'>): Promise<number> {
    let n = 0;
    for (const o of this.orders.values())
      if (
        (query.customerId === undefined || o.customerId === query.customerId) &&
        (query.status === undefined || o.status === query.status)
      )
        n++;
    return Promise.resolve(n);
  }

  create(order: Order): Promise<{ order: Order; created: boolean }> {
    const key = order.idempotencyKey === '' ? undefined : JSON.stringify([order.customerId, order.idempotencyKey]);
    const existingId = key === undefined ? undefined : this.byIdempotencyKey.get(key);
    if (existingId !== undefined) return Promise.resolve({ order: this.orders.get(existingId) as Order, created: false });
    if (this.orders.has(order.id)) return Promise.reject(new DomainError('ALREADY_EXISTS', `order ${order.id} already exists`));
    this.orders.set(order.id, order);
    if (key !== undefined) this.byIdempotencyKey.set(key, order.id);
    this.append('CREATED', order);
    return Promise.resolve({ order, created: true });
  }

  update(id: string, change: (current: Order) => Order): Promise<Order> {
    // A throw inside the executor (NOT_FOUND, or from `change`) rejects before anything is written.
    return new Promise((resolve) => {
      const current = this.orders.get(id);
      if (current === undefined) throw notFound('order', id);
      const next = change(current);
      this.orders.set(id, next);
      this.append('STATUS_CHANGED', next);
      resolve(next);
    });
  }

  read(query: EventQuery): Promise<{ events: OrderEvent[]; head: bigint }> {
    const ids = query.orderIds === undefined ? undefined : new Set(query.orderIds);
    const events: OrderEvent[] = [];
    // The log is dense from sequence 1, so the first candidate sits at index afterSequence.
    for (let i = Number(query.afterSequence); i < this.log.length && events.length < query.limit; i++) {
      const event = this.log[i] as OrderEvent;
      if (query.customerId !== undefined && event.order.customerId !== query.customerId) continue;
      if (ids !== undefined && !ids.has(event.order.id)) continue;
      events.push(event);
    }
    return Promise.resolve({ events, head: BigInt(this.log.length) });
  }

  head(): Promise<bigint> {
    return Promise.resolve(BigInt(this.log.length));
  }

  private append(type: OrderEventType, order: Order): void {
    const sequence = BigInt(this.log.length + 1);
    this.log.push({ sequence, type, order, occurTime: order.updateTime });
    this.onCommit(sequence);
  }
}

export function openMemoryStore(onCommit?: EventsCommitted): Store {
  const orders = new MemoryOrderStore(onCommit);
  const exports = new MemoryExportJobStore();
  return {
    products: new MemoryProductRepository(),
    orders,
    events: orders,
    exports,
    onExportJobChanged: (listener) => exports.onChange(listener),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
