/**
 * One reader of the event log per process: however many watchers and trackers are open, one loop
 * reads each new event once and fans it out in memory to the subscribers it concerns (indexed by
 * customer, so a per-customer watcher costs nothing for other customers' events).
 *
 * Joining without a gap or a duplicate: a subscriber resuming from an old sequence replays on its
 * own reads (filtered in SQL) until it has reached the tail's cursor, and registers in the same
 * synchronous step as that check. From then on the tail hands it every event after the cursor it
 * registered at, and the subscriber skips what it already had (sequence ≤ its own), so the seam
 * neither loses nor repeats an event. Sequences are gap-free and in commit order (ports.ts).
 *
 * Slow consumers are bounded: each subscriber buffers at most `bufferLimit` events; one that falls
 * further behind is dropped from the tail and its stream ends with FELL_BEHIND, naming the last
 * sequence it was given, from which it can resume. The tail's reads retry with backoff when the
 * store fails (subscribers wait; readiness reports the store).
 */
import type { CallScope } from './call-scope.js';
import { DomainError } from './errors.js';
import type { OrderEvent } from './order-event.js';
import type { EventQuery, EventSignal, OrderEventLog } from './ports.js';

export type EventFilter = Pick<EventQuery, 'customerId' | 'orderIds'>;

/**
 * What a subscriber wants. `current()` is re-read on every replay query; when its `version`
 * changes during one, the query is repeated (a newly tracked order misses nothing). `accept` is
 * checked as events are handed out. `customerId`, when set, is a promise that only that customer's
 * events are accepted (the tail indexes on it).
 */
export type Subscription = Readonly<{
  current(): { version: number; query: EventFilter };
  accept(event: OrderEvent): boolean;
  customerId?: string | undefined;
}>;

export type EventTailOptions = Readonly<{
  events: OrderEventLog;
  eventSignal: EventSignal;
  /** Events one subscriber may have waiting before it is ended with FELL_BEHIND. */
  bufferLimit: number;
  /** Events per read of the log. */
  pageSize?: number;
  /** Each read of the tail gives up after this long (then retried). */
  readTimeoutMs?: number;
}>;

type Subscriber = {
  readonly accept: (event: OrderEvent) => boolean;
  readonly customerId: string | undefined;
  readonly queue: OrderEvent[];
  /** The last sequence handed to the consumer (what it resumes from). */
  delivered: bigint;
  ended: DomainError | undefined;
  wake: (() => void) | undefined;
};

const RETRY_MS = { initial: 50, max: 2000 };

export function fellBehind(delivered: bigint, limit: number): DomainError {
  return new DomainError(
    'FELL_BEHIND',
    `this stream fell more than ${limit} events behind and was ended; resume from the last event received (after_sequence ${delivered})`,
  );
}

export function createEventTail({ events, eventSignal, bufferLimit, pageSize: page = 256, readTimeoutMs = 10_000 }: EventTailOptions) {
  // One page fanned out to a consumer that is keeping up must fit its buffer.
  const pageSize = Math.min(page, bufferLimit);
  const everyone = new Set<Subscriber>();
  const byCustomer = new Map<string, Set<Subscriber>>();
  const others = new Set<Subscriber>();
  /** The last sequence fanned out; undefined while nobody subscribes (re-read on the next join). */
  let cursor: bigint | undefined;
  let positioning: Promise<void> | undefined;
  let loop: Promise<void> | undefined;
  let arrived: (() => void) | undefined;
  const stop = new AbortController();

  function register(subscriber: Subscriber): void {
    everyone.add(subscriber);
    if (subscriber.customerId === undefined) others.add(subscriber);
    else {
      const group = byCustomer.get(subscriber.customerId) ?? new Set();
      group.add(subscriber);
      byCustomer.set(subscriber.customerId, group);
    }
    arrived?.();
    // run() handles its own failures; should it ever end otherwise, the next subscriber restarts it.
    loop ??= run()
      .catch(() => undefined)
      .finally(() => (loop = undefined));
  }

  function unregister(subscriber: Subscriber): void {
    everyone.delete(subscriber);
    others.delete(subscriber);
    const group = subscriber.customerId === undefined ? undefined : byCustomer.get(subscriber.customerId);
    group?.delete(subscriber);
    if (group?.size === 0) byCustomer.delete(subscriber.customerId as string);
  }

  function handOut(subscriber: Subscriber, event: OrderEvent): void {
    if (subscriber.ended !== undefined || !subscriber.accept(event)) return;
    if (subscriber.queue.length >= bufferLimit) {
      // Memory stays bounded: the backlog is dropped and the consumer told where to resume.
      subscriber.queue.length = 0;
      subscriber.ended = fellBehind(subscriber.delivered, bufferLimit);
      unregister(subscriber);
    } else subscriber.queue.push(event);
    subscriber.wake?.();
  }

  function fanOut(batch: readonly OrderEvent[]): void {
    for (const event of batch) {
      for (const subscriber of byCustomer.get(event.order.customerId) ?? []) handOut(subscriber, event);
      for (const subscriber of others) handOut(subscriber, event);
      cursor = event.sequence;
    }
  }

  /** Sets the cursor to the log's head when there is none (one query shared by every joiner). */
  async function position(scope: CallScope): Promise<void> {
    positioning ??= events
      .head(scope)
      .then((head) => void (cursor ??= head))
      .finally(() => (positioning = undefined));
    await positioning;
  }

  const readScope = (): CallScope => ({
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(readTimeoutMs)]),
    deadline: Date.now() + readTimeoutMs,
  });

  async function run(): Promise<void> {
    let failures = 0;
    while (!stop.signal.aborted) {
      if (everyone.size === 0 || cursor === undefined) {
        cursor = undefined; // nobody to read for: the next joiner positions the tail afresh
        await new Promise<void>((resolve) => (arrived = resolve));
        arrived = undefined;
        continue;
      }
      const from = cursor;
      try {
        const { events: batch, head } = await events.read({ afterSequence: from, limit: pageSize }, readScope());
        failures = 0;
        if (cursor !== from) continue; // repositioned meanwhile (everyone left and someone came back)
        fanOut(batch);
        if (batch.length === pageSize) continue;
        if (head > cursor) cursor = head;
      } catch {
        if (stop.signal.aborted) return;
        const delay = Math.min(RETRY_MS.max, RETRY_MS.initial * 2 ** Math.min(failures++, 10));
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      if (everyone.size === 0) continue;
      await eventSignal.wait(cursor, stop.signal).catch(() => undefined);
    }
  }

  function nextWake(subscriber: Subscriber, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      subscriber.wake = () => {
        subscriber.wake = undefined;
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Events after `from` that `subscription` accepts, replayed then live, until `scope` aborts. */
  async function* follow(from: bigint, subscription: Subscription, scope: CallScope): AsyncGenerator<OrderEvent, void, undefined> {
    const { signal } = scope;
    const subscriber: Subscriber = {
      accept: subscription.accept,
      customerId: subscription.customerId,
      queue: [],
      delivered: from,
      ended: undefined,
      wake: undefined,
    };
    let last = from;
    try {
      // Replay on our own reads until we have reached the tail; register in the same step as the check.
      for (;;) {
        if (cursor === undefined) await position(scope);
        else if (last >= cursor) break;
        else {
          const current = subscription.current();
          const { events: batch, head } = await events.read({ ...current.query, afterSequence: last, limit: pageSize }, scope);
          signal.throwIfAborted();
          if (subscription.current().version !== current.version) continue;
          for (const event of batch) {
            if (subscription.accept(event)) {
              subscriber.delivered = event.sequence;
              yield event;
            }
            last = event.sequence;
          }
          if (batch.length < pageSize && head > last) last = head;
        }
      }
      register(subscriber);
      for (;;) {
        for (let event = subscriber.queue.shift(); event !== undefined; event = subscriber.queue.shift()) {
          if (event.sequence <= last) continue; // had it from the replay
          last = event.sequence;
          if (!subscription.accept(event)) continue;
          subscriber.delivered = event.sequence;
          yield event;
        }
        if (subscriber.ended !== undefined) throw subscriber.ended;
        signal.throwIfAborted();
        await nextWake(subscriber, signal);
      }
    } finally {
      unregister(subscriber);
    }
  }

  return {
    follow,
    /** Subscribers registered with the tail now (past their replay). */
    subscribers: () => everyone.size,
    /** Ends the tail loop (shutdown); open streams end when their own scopes abort. */
    close(): void {
      stop.abort();
      arrived?.();
    },
  };
}

export type EventTail = ReturnType<typeof createEventTail>;
