/**
 * The ports the domain needs, implemented in src/adapters. Each method's TSDoc states its
 * contract, which test/contracts checks against every implementation (in-memory fake, PGlite,
 * PostgreSQL). Methods reject with a DomainError for the failures named here; any other
 * rejection is an infrastructure failure.
 *
 * Every method that does I/O takes the caller's CallScope last (UNBOUNDED when omitted): an
 * adapter stops waiting when its signal aborts, bounds its work by its deadline, and rejects
 * with DEADLINE_EXCEEDED (nothing written) when the deadline passes first.
 */
import type { CallScope } from './call-scope.js';
import type { Money } from './money.js';
import type { Order, OrderStatus } from './order.js';
import type { OrderEvent } from './order-event.js';
import type { Product } from './product.js';

export type ProductRecord = Readonly<{ id: string; name: string; price: Money }>;

export interface ProductRepository {
  /** Resolves undefined when absent. */
  get(id: string, scope?: CallScope): Promise<Product | undefined>;
  /** The products that exist among `ids`, in no particular order; absent ids are skipped. */
  getMany(ids: readonly string[], scope?: CallScope): Promise<Product[]>;
  /** Up to `limit` products with an id greater than `afterId` (byte order), ascending by id. */
  list(query: Readonly<{ afterId: string; limit: number }>, scope?: CallScope): Promise<Product[]>;
  /** Creates the product or replaces its name and price; keeps the original createTime. */
  upsert(product: ProductRecord, now: Date, scope?: CallScope): Promise<Product>;
}

/** What the order domain needs from the catalog, wherever the catalog runs. */
export interface ProductCatalog {
  /**
   * The products that exist among `ids`, keyed by id. Rejects with UNAVAILABLE when the catalog
   * cannot be reached.
   */
  findProducts(ids: readonly string[], scope?: CallScope): Promise<ReadonlyMap<string, Product>>;
}

export type OrderQuery = Readonly<{
  customerId: string | undefined;
  status: OrderStatus | undefined;
  /** Only orders whose id sorts before this one ('' for no bound). */
  beforeId: string;
  limit: number;
}>;

export interface OrderRepository {
  /** Resolves undefined when absent. */
  get(id: string, scope?: CallScope): Promise<Order | undefined>;
  /** The customer's order made with this idempotency key; undefined when there is none (or the key is ''). */
  findByIdempotencyKey(customerId: string, key: string, scope?: CallScope): Promise<Order | undefined>;
  /** Matching orders, newest first (descending id: ids are time-ordered UUIDv7). */
  list(query: OrderQuery, scope?: CallScope): Promise<Order[]>;
  /**
   * Stores a new order and appends its CREATED event in one transaction. If the order has an
   * idempotency key and the customer already has an order with that key, nothing is written and
   * that existing order is returned with `created: false` — also when two creates race.
   */
  create(order: Order, scope?: CallScope): Promise<{ order: Order; created: boolean }>;
  /**
   * Loads the order, applies `change` and stores the result with a STATUS_CHANGED event, all in
   * one transaction (concurrent updates of one order are serialised). NOT_FOUND when absent;
   * an error thrown by `change` propagates and nothing is written.
   */
  update(id: string, change: (current: Order) => Order, scope?: CallScope): Promise<Order>;
}

export type EventQuery = Readonly<{
  afterSequence: bigint;
  customerId?: string | undefined;
  /** When set, only events of these orders (an empty list matches nothing). */
  orderIds?: readonly string[] | undefined;
  limit: number;
}>;

export interface OrderEventLog {
  /**
   * Up to `limit` matching events with a sequence greater than `afterSequence`, ascending, and
   * `head`: the log's last sequence as of the same snapshot. Every event up to `head` is
   * visible in that snapshot, so a reader that got fewer than `limit` events may continue
   * from `head` without missing any.
   */
  read(query: EventQuery, scope?: CallScope): Promise<{ events: OrderEvent[]; head: bigint }>;
  /** The last committed sequence (0 when the log is empty). */
  head(scope?: CallScope): Promise<bigint>;
}

/** Wakes event readers when new events may have been committed. */
export interface EventSignal {
  /**
   * Resolves once an event with a sequence greater than `afterSequence` may exist (possibly at
   * once); rejects with the signal's reason when `signal` aborts.
   */
  wait(afterSequence: bigint, signal: AbortSignal): Promise<void>;
}

/** One value to cache. `version`, when given, orders the copies of one key (see Cache.setMany). */
export type CacheEntry = Readonly<{ key: string; value: string; version?: bigint | undefined }>;

/**
 * A string cache that may sit across the network (Redis) or in this process; callers own keys
 * and serialisation. Batch calls, so that one request costs one round trip however many keys it
 * touches.
 *
 * Errors: a cache is never the source of truth, so every method may reject and callers must treat
 * a rejected read as a miss for every key and a rejected write as "maybe written". Each call ends
 * within the adapter's own timeout or the scope's deadline, whichever is sooner, and stops waiting
 * when the scope aborts; it never rejects with a DomainError. The rejection's `name` says why:
 * `TimeoutError` (the per-call timeout or the scope's deadline passed), `AbortError` (the scope
 * aborted), `CacheUnavailableError` (the cache cannot be reached now), anything else (the cache
 * refused the command or answered nonsense).
 */
export interface Cache {
  /** The values of `keys`, in the same order: undefined for a key absent or expired. */
  getMany(keys: readonly string[], scope?: CallScope): Promise<(string | undefined)[]>;
  /**
   * Stores each entry for `ttlMs` (> 0). An entry with a version is skipped when the key holds a
   * copy with a greater version, so that a slow reader cannot put back an older copy over the
   * newer one a writer stored meanwhile; an entry without a version always replaces. Entries are
   * stored independently (a rejection may leave some written).
   */
  setMany(entries: readonly CacheEntry[], ttlMs: number, scope?: CallScope): Promise<void>;
  /** Removes `keys`; absent keys are ignored. */
  delete(keys: readonly string[], scope?: CallScope): Promise<void>;
}

/**
 * Business events, for metrics. Named methods rather than a stringly `inc(name)`: the domain
 * says what happened, the adapter decides how it is counted. Implementations must not throw.
 */
export interface OrderMetrics {
  orderCreated(order: Order): void;
  statusChanged(from: OrderStatus, to: OrderStatus): void;
  importFinished(result: Readonly<{ created: number; duplicates: number; failed: number }>): void;
}

export type Clock = () => Date;
export type IdGenerator = () => string;
