// The shared event tail: one reader for every subscriber, the seam between a subscriber's own
// replay and the shared tail hit exactly (reads held by gates the test opens, never timed), and
// the bound on slow consumers.
import { beforeEach, describe, expect, test } from 'vitest';
import { LocalEventSignal } from '../adapters/local-event-signal.js';
import { openMemoryStore } from '../adapters/memory/memory-store.js';
import type { Store } from '../adapters/store.js';
import { reader } from '../../test/support/async-queue.js';
import { anOrder, sequentialIds } from '../../test/support/builders.js';
import { until } from '../../test/support/until.js';
import type { CallScope } from './call-scope.js';
import { createEventTail, type EventTail, type Subscription } from './event-tail.js';
import type { OrderEvent } from './order-event.js';
import type { EventQuery, OrderEventLog } from './ports.js';

/** A gate: `reached` resolves when a read arrives at it, `open()` lets it through. */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  return { opened, arrived, reached, open };
}
type Gate = ReturnType<typeof gate>;

let store: Store;
let ids: () => string;
let reads: EventQuery[];
/** Reads matching `when` pass the gate only once it is opened; `after` holds the result, not the query. */
let held: { when: (q: EventQuery) => boolean; gate: Gate; after: boolean } | undefined;

function gatedLog(log: OrderEventLog): OrderEventLog {
  return {
    head: (scope) => log.head(scope),
    async read(query: EventQuery, scope?: CallScope) {
      reads.push(query);
      const hold = held !== undefined && held.when(query) ? held : undefined;
      if (hold !== undefined) held = undefined;
      if (hold !== undefined && !hold.after) {
        hold.gate.reached();
        await hold.gate.opened;
      }
      const result = await log.read(query, scope);
      if (hold !== undefined && hold.after) {
        hold.gate.reached();
        await hold.gate.opened;
      }
      return result;
    },
  };
}

let tail: EventTail;
const scope = (): CallScope => ({ signal: new AbortController().signal, deadline: Infinity });
const all = (customerId?: string): Subscription => ({
  current: () => ({ version: 0, query: { customerId } }),
  accept: () => true,
  customerId,
});
const commit = async (n: number, customerId = 'c') => {
  for (let i = 0; i < n; i++) await store.orders.create(anOrder({ id: ids(), customerId }));
};
const seq = (events: OrderEvent[]) => events.map((e) => e.sequence);
async function take(iterator: AsyncIterator<OrderEvent>, n: number): Promise<OrderEvent[]> {
  const out: OrderEvent[] = [];
  while (out.length < n) {
    const next = await iterator.next();
    if (next.done === true) throw new Error('ended');
    out.push(next.value);
  }
  return out;
}
const take2 = async (r: ReturnType<typeof reader<OrderEvent>>, n: number) => r.take(n);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i));
const byTail = (q: EventQuery) => q.customerId === undefined && q.orderIds === undefined;
const byReplay = (q: EventQuery) => q.customerId === 'c';

function openTail(bufferLimit = 100) {
  const signal = new LocalEventSignal();
  store = openMemoryStore((sequence) => signal.notify(sequence));
  tail = createEventTail({ events: gatedLog(store.events), eventSignal: signal, bufferLimit, pageSize: 4 });
}

beforeEach(() => {
  ids = sequentialIds();
  reads = [];
  held = undefined;
  openTail();
});

describe('one tail reader', () => {
  test('fifty live watchers cost one read of the log per batch, not one each', async () => {
    const stop = new AbortController();
    const iterators = Array.from({ length: 50 }, () => tail.follow(0n, all(), { signal: stop.signal, deadline: Infinity }));
    const watchers = iterators.map((w) => reader({ [Symbol.asyncIterator]: () => w }));
    await until('all joined the tail', () => tail.subscribers() === 50);
    reads.length = 0;
    await commit(3);
    for (const w of watchers) expect(seq(await take2(w, 3))).toEqual([1n, 2n, 3n]);
    expect(reads.filter(byTail).length).toBeLessThanOrEqual(3);
    expect(reads.length).toBe(reads.filter(byTail).length);
    stop.abort();
    await until('all left the tail', () => tail.subscribers() === 0);
  });

  test('per-customer watchers get only their customer, from the same tail', async () => {
    const mine = tail.follow(0n, all('a'), scope());
    const theirs = tail.follow(0n, all('b'), scope());
    await commit(1, 'a');
    await commit(1, 'b');
    await commit(1, 'a');
    expect(seq(await take(mine, 2))).toEqual([1n, 3n]);
    expect(seq(await take(theirs, 1))).toEqual([2n]);
  });
});

describe('the seam between a replay and the shared tail', () => {
  /** A watcher that reads as fast as events come, registered with the tail once it has `upTo`. */
  async function liveWatcher(upTo: number) {
    const before = tail.subscribers();
    const live = reader(tail.follow(0n, all(), scope()));
    expect(seq(await live.take(upTo))).toEqual(range(1, upTo));
    await until('the live watcher joined the tail', () => tail.subscribers() === before + 1);
    return { next: (n: number) => live.take(n) };
  }

  test('the tail moves on while the replay query waits: nothing lost, nothing twice', async () => {
    await commit(5);
    const live = await liveWatcher(5);
    held = { when: byReplay, gate: gate(), after: false };
    const { gate: g } = held;
    const resuming = tail.follow(2n, all('c'), scope());
    const first = resuming.next();
    await g.arrived;
    await commit(2); // 6, 7: fanned out to the live watcher while the replay is held
    expect(seq(await live.next(2))).toEqual([6n, 7n]);
    g.open();
    const got = [(await first).value as OrderEvent, ...(await take(resuming, 4))];
    await commit(1);
    got.push(...(await take(resuming, 1)));
    expect(seq(got)).toEqual(range(3, 8));
  });

  test('the replay read its snapshot before the tail moved on: it reads again up to the tail', async () => {
    await commit(5);
    const live = await liveWatcher(5);
    held = { when: byReplay, gate: gate(), after: true };
    const { gate: g } = held;
    const resuming = tail.follow(2n, all('c'), scope());
    const first = resuming.next();
    await g.arrived; // its snapshot holds 3..5 only
    await commit(2);
    expect(seq(await live.next(2))).toEqual([6n, 7n]);
    g.open();
    const got = [(await first).value as OrderEvent, ...(await take(resuming, 4))];
    await commit(1);
    got.push(...(await take(resuming, 1)));
    expect(seq(got)).toEqual(range(3, 8));
  });

  test('the replay is ahead of the tail: what the tail then hands over is skipped, not repeated', async () => {
    await commit(5);
    const live = await liveWatcher(5);
    held = { when: byTail, gate: gate(), after: true };
    const { gate: g } = held;
    await commit(2); // the tail's read of 6, 7 is held
    await g.arrived;
    const resuming = tail.follow(3n, all('c'), scope());
    const replayed = await take(resuming, 4); // 4..7 from its own read (one page), ahead of the tail (at 5)
    const next = resuming.next(); // joins the tail at 7
    await until('the resuming watcher joined the tail', () => tail.subscribers() === 2);
    g.open();
    expect(seq(await live.next(2))).toEqual([6n, 7n]);
    await commit(1);
    expect(seq([...replayed, (await next).value as OrderEvent])).toEqual(range(4, 8));
  });

  test('a watcher from the current head joins the tail without a replay query', async () => {
    await commit(3);
    const live = await liveWatcher(3);
    reads.length = 0;
    const fresh = tail.follow(3n, all('c'), scope());
    const next = fresh.next();
    await commit(1);
    expect((await next).value?.sequence).toBe(4n);
    expect(seq(await live.next(1))).toEqual([4n]);
    expect(reads.filter(byReplay)).toEqual([]);
  });
});

describe('slow consumers', () => {
  test('a watcher more than bufferLimit events behind is ended with FELL_BEHIND naming its last sequence; the others go on', async () => {
    openTail(3);
    const slow = tail.follow(0n, all(), scope());
    const fast = reader(tail.follow(0n, all(), scope()));
    const first = slow.next(); // joins the tail (nothing to replay) and waits
    await until('both joined the tail', () => tail.subscribers() === 2);
    await commit(1);
    expect((await first).value?.sequence).toBe(1n);
    expect(seq(await fast.take(1))).toEqual([1n]);
    await commit(5);
    expect(seq(await fast.take(5))).toEqual(range(2, 6)); // the tail has handed out 6: slow overflowed at 5
    expect(tail.subscribers()).toBe(1);
    await expect(slow.next()).rejects.toMatchObject({ code: 'FELL_BEHIND', message: expect.stringContaining('after_sequence 1)') });
    // Resuming from there replays what it missed and joins again.
    const resumed = tail.follow(1n, all(), scope());
    expect(seq(await take(resumed, 5))).toEqual(range(2, 6));
  });
});
