import { type Actor, assertActsFor, customerScope } from './actor.js';
import { type CallScope, UNBOUNDED } from './call-scope.js';
import { DomainError, invalidField, notFound, Violations } from './errors.js';
import { changeStatus, newOrder, type NewOrder, type Order, type OrderStatus, priceItems, sameItems, validateNewOrder } from './order.js';
import type { OrderEvent } from './order-event.js';
import { parseOrderId } from './order-id.js';
import { pageSize } from './paging.js';
import { createEventTail } from './event-tail.js';
import type { Clock, EventSignal, IdGenerator, OrderEventLog, OrderMetrics, OrderRepository, ProductCatalog } from './ports.js';

export type OrderDeps = Readonly<{
  orders: OrderRepository;
  events: OrderEventLog;
  eventSignal: EventSignal;
  catalog: ProductCatalog;
  now: Clock;
  newId: IdGenerator;
  metrics?: OrderMetrics;
  /** Events one watch or track stream may have waiting before it is ended with FELL_BEHIND. */
  watchBufferLimit?: number;
}>;

const NO_METRICS: OrderMetrics = { orderCreated() {}, statusChanged() {}, importFinished() {} };

/** Events read from the log per query while following it. */
const EVENT_PAGE = 256;
/** At most this many item errors are described in an import result (all are counted). */
export const MAX_IMPORT_ERRORS = 1000;

export type ImportResult = {
  created: number;
  duplicates: number;
  failed: number;
  errors: { index: number; error: DomainError }[];
  /** Each item created or matched by its idempotency key, in stream order. */
  orders: { index: number; id: string; duplicate: boolean }[];
};

/** What a tracking stream can do while its events are being delivered. */
export type OrderTracker = {
  /** Rejects INVALID for a malformed id, FORBIDDEN for another customer's order. */
  track(id: string): Promise<void>;
  untrack(id: string): void;
  events: AsyncGenerator<OrderEvent, void, undefined>;
};

/** The order an idempotency key already names, if the retry asks for the same items; ALREADY_EXISTS otherwise. */
function sameOrderOrConflict(existing: Order, input: NewOrder): Order {
  if (sameItems(existing, input)) return existing;
  throw new DomainError(
    'ALREADY_EXISTS',
    `idempotency key ${JSON.stringify(input.idempotencyKey)} was already used by this customer for order ${existing.id} with different items`,
  );
}

export function orderUseCases({
  orders,
  events,
  eventSignal,
  catalog,
  now,
  newId,
  metrics = NO_METRICS,
  watchBufferLimit = 1000,
}: OrderDeps) {
  // One per process (the composition root makes one orderUseCases): every stream shares it.
  const tail = createEventTail({ events, eventSignal, bufferLimit: watchBufferLimit, pageSize: EVENT_PAGE });

  async function create(
    input: NewOrder,
    actor: Actor,
    scope: CallScope = UNBOUNDED,
    fieldPrefix = '',
  ): Promise<{ order: Order; created: boolean }> {
    validateNewOrder(input, fieldPrefix);
    assertActsFor(actor, input.customerId);
    // A retry of an order that exists is answered from the store, without the catalog: it
    // succeeds even while the catalog is down, and its prices are those it was created with.
    const existing = await orders.findByIdempotencyKey(input.customerId, input.idempotencyKey, scope);
    if (existing !== undefined) return { order: sameOrderOrConflict(existing, input), created: false };
    const products = await catalog.findProducts([...new Set(input.items.map((i) => i.productId))], scope);
    const { items, total } = priceItems(input, products, fieldPrefix);
    const result = await orders.create(newOrder({ id: newId(), input, items, total, now: now() }), scope);
    if (result.created) metrics.orderCreated(result.order);
    else sameOrderOrConflict(result.order, input); // a racing create with the same key won
    return result;
  }

  return {
    create,

    async get(id: string, actor: Actor, scope: CallScope = UNBOUNDED): Promise<Order> {
      const orderId = parseOrderId(id);
      const order = await orders.get(orderId, scope);
      if (order === undefined) throw notFound('order', orderId);
      assertActsFor(actor, order.customerId);
      return order;
    },

    /** One page, newest first; `nextBeforeId` is '' on the last page. */
    /** A customer who names no customer gets its own orders. */
    async list(
      query: { customerId: string; status: OrderStatus | undefined; pageSize: number; beforeId: string },
      actor: Actor,
      scope: CallScope = UNBOUNDED,
    ) {
      const limit = pageSize(query.pageSize);
      const customerId = customerScope(actor, query.customerId);
      const page = await orders.list(
        {
          customerId: customerId === '' ? undefined : customerId,
          status: query.status,
          beforeId: query.beforeId,
          limit: limit + 1,
        },
        scope,
      );
      const more = page.length > limit;
      const items = more ? page.slice(0, limit) : page;
      return { orders: items, nextBeforeId: more ? (items.at(-1)?.id ?? '') : '' };
    },

    async updateStatus(
      id: string,
      status: OrderStatus | undefined,
      expectedVersion: bigint,
      actor: Actor,
      scope: CallScope = UNBOUNDED,
    ): Promise<Order> {
      const orderId = parseOrderId(id);
      const violations = new Violations();
      if (status === undefined) violations.add('status', 'is required: the status to move the order to');
      if (expectedVersion < 0n) violations.add('expected_version', 'must not be negative');
      violations.throwIfAny();
      let from: OrderStatus | undefined;
      const updated = await orders.update(
        orderId,
        (order) => {
          assertActsFor(actor, order.customerId);
          from = order.status;
          return changeStatus(order, status as OrderStatus, expectedVersion, now());
        },
        scope,
      );
      metrics.statusChanged(from ?? updated.status, updated.status);
      return updated;
    },

    /** Events after `afterSequence` (optionally one customer's), then live ones, until the scope's signal aborts. */
    watch(
      query: { customerId: string; afterSequence: bigint },
      actor: Actor,
      scope: CallScope,
    ): AsyncGenerator<OrderEvent, void, undefined> {
      if (query.afterSequence < 0n) throw invalidField('after_sequence', 'must not be negative');
      const scoped = customerScope(actor, query.customerId);
      const customerId = scoped === '' ? undefined : scoped;
      const current = { version: 0, query: { customerId } };
      return tail.follow(query.afterSequence, { current: () => current, accept: () => true, customerId }, scope);
    },

    /**
     * Events of a changing set of orders, from the moment each is tracked. Ids are checked as
     * they arrive: a malformed one is INVALID (field `track_order_id` / `untrack_order_id`).
     */
    async track(actor: Actor, scope: CallScope): Promise<OrderTracker> {
      const tracked = new Set<string>();
      let version = 0;
      const subscription = {
        current: () => ({ version, query: { orderIds: [...tracked] } }),
        accept: (e: OrderEvent) => tracked.has(e.order.id),
      };
      const start = await events.head(scope);
      return {
        async track(id) {
          const orderId = parseOrderId(id, 'track_order_id');
          if (actor.kind === 'customer') {
            const order = await orders.get(orderId, scope);
            if (order !== undefined) assertActsFor(actor, order.customerId);
          }
          tracked.add(orderId);
          version++;
        },
        untrack(id) {
          tracked.delete(parseOrderId(id, 'untrack_order_id'));
          version++;
        },
        events: tail.follow(start, subscription, scope),
      };
    },

    /**
     * Creates each order as it arrives; item failures are counted, not thrown. Past `maxItems`
     * the stream is not read further: one LIMIT_EXCEEDED error at that index says so.
     */
    async importOrders(items: AsyncIterable<NewOrder>, actor: Actor, scope: CallScope, maxItems = Infinity): Promise<ImportResult> {
      const result: ImportResult = { created: 0, duplicates: 0, failed: 0, errors: [], orders: [] };
      let index = 0;
      for await (const input of items) {
        if (index >= maxItems) {
          result.failed++;
          result.errors.push({
            index,
            error: new DomainError(
              'LIMIT_EXCEEDED',
              `an import may hold at most ${maxItems} items; this item and any after it were not read`,
            ),
          });
          break;
        }
        try {
          const { order, created } = await create(input, actor, scope, 'order.');
          if (created) result.created++;
          else result.duplicates++;
          result.orders.push({ index, id: order.id, duplicate: !created });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          result.failed++;
          if (result.errors.length < MAX_IMPORT_ERRORS) result.errors.push({ index, error });
        }
        index++;
      }
      metrics.importFinished(result);
      return result;
    },
  };
}

export type OrderUseCases = ReturnType<typeof orderUseCases>;
