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
import type { ExportFormat, ExportJob, ExportStatus } from './exports/export-job.js';
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
  /** How many orders match the filter (the same filter as `list`, without paging). */
  count(query: Pick<OrderQuery, 'customerId' | 'status'>, scope?: CallScope): Promise<number>;
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

/** One stored piece of an export's file: `data` starts at byte `offset`. */
export type ExportChunk = Readonly<{ offset: number; data: Uint8Array }>;

/**
 * Export jobs, their outbox and their files, in the store every replica reads. A run is an
 * attempt: `startAttempt` numbers it, and every later write names that number, so a run that was
 * superseded (its worker presumed dead, the job handed to another) can no longer change the job:
 * its writes resolve `false`/undefined and its chunks are dropped when the current run succeeds.
 */
export interface ExportJobStore {
  /**
   * Stores a new QUEUED job and its outbox entry in one transaction. If the job has an
   * idempotency key the requester already used, nothing is written and that job is returned
   * with `created: false`, also when two creates race.
   */
  create(job: ExportJob, scope?: CallScope): Promise<{ job: ExportJob; created: boolean }>;
  /** Resolves undefined when absent. */
  get(id: string, scope?: CallScope): Promise<ExportJob | undefined>;
  /**
   * Starts the next attempt of a QUEUED or RUNNING job: RUNNING, attempts + 1, progress reset to
   * `ordersTotal` / 0. Resolves undefined for a final (or absent) job: it must not run again.
   */
  startAttempt(id: string, ordersTotal: number, now: Date): Promise<ExportJob | undefined>;
  /** Records progress of `attempt`; false when that attempt is no longer the job's current one. */
  recordProgress(id: string, attempt: number, ordersDone: number, now: Date): Promise<boolean>;
  /** Stores one chunk of `attempt`'s file (chunks of one attempt are written in order, `seq` from 0). */
  writeChunk(id: string, attempt: number, seq: number, chunk: ExportChunk): Promise<void>;
  /**
   * SUCCEEDED with the file's figures, and the chunks of every other attempt dropped, in one
   * transaction — only if `attempt` is current and RUNNING; otherwise nothing changes and it
   * resolves undefined.
   */
  succeed(
    id: string,
    attempt: number,
    result: Readonly<{ ordersDone: number; sizeBytes: number; sha256: string }>,
    now: Date,
  ): Promise<ExportJob | undefined>;
  /** FAILED with `reason` (and every chunk dropped) if `attempt` is current; undefined otherwise. */
  fail(id: string, attempt: number, reason: string, now: Date): Promise<ExportJob | undefined>;
  /** Back to QUEUED (for another run) if `attempt` is current and RUNNING; false otherwise. */
  release(id: string, attempt: number, now: Date): Promise<boolean>;
  /**
   * Up to `limit` chunks of a SUCCEEDED job's file that end after `offset`, ascending. The first
   * may start before `offset` (the caller slices it).
   */
  readChunks(id: string, attempt: number, offset: number, limit: number, scope?: CallScope): Promise<ExportChunk[]>;
  /** Ids of jobs whose outbox entry is still there (committed, not yet handed to the queue), oldest first. */
  pendingDispatch(limit: number): Promise<string[]>;
  /** Removes the outbox entries of jobs handed to the queue (absent ones are ignored). */
  markDispatched(ids: readonly string[]): Promise<void>;
  /** Ids of QUEUED and RUNNING jobs, oldest first: what an in-process runner resumes after a restart. */
  unfinished(limit: number): Promise<string[]>;
  /** Jobs per status, for metrics. */
  countByStatus(): Promise<Readonly<Record<ExportStatus, number>>>;
  /**
   * Up to `limit` QUEUED and RUNNING jobs whose row last changed before `olderThan`, by
   * (updateTime, id) ascending and after `after` when given (a keyset cursor): what the
   * reconcile sweep makes sure the queue still holds.
   */
  stale(olderThan: Date, limit: number, after?: StaleExportJob): Promise<StaleExportJob[]>;
  /**
   * Deletes up to `limit` SUCCEEDED and FAILED jobs whose row last changed before `olderThan`,
   * with their chunks (retention); resolves with how many went. Concurrent callers delete
   * disjoint jobs.
   */
  deleteFinished(olderThan: Date, limit: number): Promise<number>;
}

/** A job the reconcile sweep looks at: its id and when its row last changed (the keyset cursor). */
export type StaleExportJob = Readonly<{ id: string; updateTime: Date }>;

/** Where export jobs wait for a worker. Enqueuing an id already waiting or running is a no-op. */
export interface JobQueue {
  /** Rejects when the queue cannot be reached (the outbox keeps the job; dispatch retries). */
  enqueue(jobId: string): Promise<void>;
  /** Jobs waiting (not yet taken by a worker), for metrics. */
  depth(): Promise<number>;
  /**
   * Makes sure the job is waiting, delayed or running in the queue: one the queue lost, gave up
   * (failed) or finished is added again. Resolves true when it had to add it. Safe to call from
   * several processes at once.
   */
  ensureQueued(jobId: string): Promise<boolean>;
}

/**
 * What a queue consumer calls for each job it takes. Resolving means done (whatever the job's
 * outcome); rejecting means "retry later, with backoff". When `signal` aborts (shutdown, or the
 * queue took the job back) it rejects with the signal's reason, having handed the job back.
 */
export type JobHandler = (jobId: string, signal: AbortSignal) => Promise<void>;

/** Export runs, for metrics. Implementations must not throw. */
export interface ExportMetrics {
  /** One attempt ended: `result` is succeeded, failed (final), retried, released (shutdown) or skipped. */
  attemptEnded(result: 'succeeded' | 'failed' | 'retried' | 'released' | 'skipped', seconds: number): void;
}

/** Turns orders into one export format's text: a header (maybe '') and one record per order. */
export interface OrderEncoder {
  readonly header: string;
  /** The order's record, with its line ending. */
  encode(order: Order): string;
}

export type OrderEncoders = Readonly<Record<ExportFormat, OrderEncoder>>;

/**
 * Turns a page of orders into the bytes of an export file, maybe off the event loop (a worker
 * thread): the header once, then each page's records (UTF-8) in the order given. Rejects when the
 * encoding could not be done (a crashed thread, a closed pool): the attempt fails and is retried.
 */
export interface OrderPageEncoder {
  /** The file's first bytes (maybe none). */
  header(format: ExportFormat): Uint8Array;
  /** The records of `orders`, with their line endings. */
  encodePage(format: ExportFormat, orders: readonly Order[]): Promise<Uint8Array>;
}

/** An incremental SHA-256 of a file being written. */
export type Sha256 = () => { update(data: Uint8Array): void; hex(): string };

/** Wakes a watcher when an export job may have changed (a bounded poll, or a cross-process signal). */
export interface ExportJobSignal {
  /** Resolves once job `id` may have changed (possibly at once); rejects when `signal` aborts. */
  wait(id: string, signal: AbortSignal): Promise<void>;
}
