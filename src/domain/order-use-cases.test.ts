import { UNBOUNDED } from './call-scope.js';
import { beforeEach, describe, expect, test } from 'vitest';
import { InProcessProductCatalog } from '../adapters/in-process-catalog.js';
import { LocalEventSignal } from '../adapters/local-event-signal.js';
import { openMemoryStore } from '../adapters/memory/memory-store.js';
import { fixedClock, sequentialIds } from '../../test/support/builders.js';
import { type Actor, ANY_ACTOR } from './actor.js';
import { DomainError } from './errors.js';
import { catalogUseCases } from './catalog-use-cases.js';
import { orderUseCases, type OrderUseCases } from './order-use-cases.js';

let orders: OrderUseCases;
let clock: ReturnType<typeof fixedClock>;

beforeEach(async () => {
  const signal = new LocalEventSignal();
  const store = openMemoryStore((sequence) => signal.notify(sequence));
  clock = fixedClock();
  const catalog = catalogUseCases({ products: store.products, now: clock });
  await catalog.upsert({ id: 'espresso', name: 'Espresso', price: { currencyCode: 'EUR', amountMinor: 1250n } });
  await catalog.upsert({ id: 'tea', name: 'Tea', price: { currencyCode: 'USD', amountMinor: 900n } });
  orders = orderUseCases({
    orders: store.orders,
    events: store.events,
    eventSignal: signal,
    catalog: new InProcessProductCatalog(store.products),
    now: clock,
    newId: sequentialIds(),
  });
});

const newOrder = (customerId = 'c1', idempotencyKey = '', quantity = 1) => ({
  customerId,
  idempotencyKey,
  items: [{ productId: 'espresso', quantity }],
});

async function take<T>(iterator: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const next = await iterator.next();
    if (next.done === true) break;
    out.push(next.value);
  }
  return out;
}

describe('create', () => {
  test('a retry of an existing order is answered from the store, without the catalog', async () => {
    const first = await orders.create(newOrder('c1', 'key-cat'), ANY_ACTOR);
    const store = openMemoryStore();
    await store.orders.create(first.order);
    const unreachable = { findProducts: () => Promise.reject(new DomainError('UNAVAILABLE', 'the product catalog is unavailable')) };
    const offline = orderUseCases({
      orders: store.orders,
      events: store.events,
      eventSignal: new LocalEventSignal(),
      catalog: unreachable,
      now: clock,
      newId: sequentialIds(),
    });
    expect(await offline.create(newOrder('c1', 'key-cat'), ANY_ACTOR)).toEqual({ order: first.order, created: false });
    await expect(offline.create(newOrder('c1', 'key-cat', 2), ANY_ACTOR)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(offline.create(newOrder('c1', 'key-new'), ANY_ACTOR)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  test('a retry with the same customer and key returns the first order', async () => {
    const first = await orders.create(newOrder('c1', 'key-1'), ANY_ACTOR);
    const retry = await orders.create(newOrder('c1', 'key-1'), ANY_ACTOR);
    expect(first.created).toBe(true);
    expect(retry).toEqual({ order: first.order, created: false });
  });

  test('the same key from another customer creates another order', async () => {
    const a = await orders.create(newOrder('c1', 'key-1'), ANY_ACTOR);
    const b = await orders.create(newOrder('c2', 'key-1'), ANY_ACTOR);
    expect(b.created).toBe(true);
    expect(b.order.id).not.toBe(a.order.id);
  });

  test('the same key with different items is ALREADY_EXISTS', async () => {
    await orders.create(newOrder('c1', 'key-1', 1), ANY_ACTOR);
    await expect(orders.create(newOrder('c1', 'key-1', 2), ANY_ACTOR)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });
});

describe('watch', () => {
  test('replays after a sequence, then continues with live events without gap or duplicate', async () => {
    const a = await orders.create(newOrder(), ANY_ACTOR);
    await orders.updateStatus(a.order.id, 'PAID', 0n, ANY_ACTOR);
    const abort = new AbortController();
    const watch = orders.watch({ customerId: '', afterSequence: 1n }, ANY_ACTOR, { signal: abort.signal, deadline: Infinity });
    const replayed = await take(watch, 1);
    const live = take(watch, 2);
    await orders.updateStatus(a.order.id, 'SHIPPED', 0n, ANY_ACTOR);
    await orders.create(newOrder('c2'), ANY_ACTOR);
    const events = [...replayed, ...(await live)];
    expect(events.map((e) => [e.sequence, e.type])).toEqual([
      [2n, 'STATUS_CHANGED'],
      [3n, 'STATUS_CHANGED'],
      [4n, 'CREATED'],
    ]);
    abort.abort();
    await expect(watch.next()).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('filters by customer', async () => {
    await orders.create(newOrder('c1'), ANY_ACTOR);
    await orders.create(newOrder('c2'), ANY_ACTOR);
    await orders.create(newOrder('c1'), ANY_ACTOR);
    const watch = orders.watch({ customerId: 'c1', afterSequence: 0n }, ANY_ACTOR, UNBOUNDED);
    expect((await take(watch, 2)).map((e) => e.sequence)).toEqual([1n, 3n]);
  });

  test('rejects a negative after_sequence', () => {
    expect(() => orders.watch({ customerId: '', afterSequence: -1n }, ANY_ACTOR, UNBOUNDED)).toThrow(/after_sequence/);
  });
});

describe('track', () => {
  test('delivers events of tracked orders only, while they are tracked', async () => {
    const a = await orders.create(newOrder('c1'), ANY_ACTOR);
    const b = await orders.create(newOrder('c2'), ANY_ACTOR);
    const tracker = await orders.track(ANY_ACTOR, UNBOUNDED);
    await tracker.track(a.order.id);
    const first = take(tracker.events, 1);
    await orders.updateStatus(b.order.id, 'PAID', 0n, ANY_ACTOR); // b is not tracked: never delivered
    await orders.updateStatus(a.order.id, 'PAID', 0n, ANY_ACTOR);
    expect((await first).map((e) => [e.order.id, e.order.status])).toEqual([[a.order.id, 'PAID']]);

    await tracker.track(b.order.id);
    tracker.untrack(a.order.id);
    const second = take(tracker.events, 1);
    await orders.updateStatus(a.order.id, 'SHIPPED', 0n, ANY_ACTOR); // a is no longer tracked
    await orders.updateStatus(b.order.id, 'SHIPPED', 0n, ANY_ACTOR);
    expect((await second).map((e) => [e.order.id, e.order.status])).toEqual([[b.order.id, 'SHIPPED']]);
  });

  test('rejects a malformed id naming the field', async () => {
    const tracker = await orders.track(ANY_ACTOR, UNBOUNDED);
    await expect(tracker.track('not-a-uuid')).rejects.toMatchObject({ violations: [expect.objectContaining({ field: 'track_order_id' })] });
  });
});

test('importOrders counts created, duplicate and failed items and describes failures', async () => {
  async function* items() {
    yield newOrder('c1', 'k1');
    yield newOrder('c1', 'k1');
    yield { customerId: 'c1', idempotencyKey: '', items: [{ productId: 'nope', quantity: 1 }] };
    yield newOrder('c1', 'k2');
  }
  const result = await orders.importOrders(items(), ANY_ACTOR, UNBOUNDED);
  expect(result).toMatchObject({ created: 2, duplicates: 1, failed: 1 });
  expect(result.errors).toEqual([
    {
      index: 2,
      error: expect.objectContaining({ code: 'INVALID', violations: [expect.objectContaining({ field: 'order.items[0].product_id' })] }),
    },
  ]);
});

test('list pages newest first and filters by status', async () => {
  const created = [];
  for (let i = 0; i < 5; i++) created.push((await orders.create(newOrder('c1'), ANY_ACTOR)).order);
  await orders.updateStatus(created[1]?.id ?? '', 'PAID', 0n, ANY_ACTOR);
  const first = await orders.list({ customerId: 'c1', status: undefined, pageSize: 2, beforeId: '' }, ANY_ACTOR);
  const second = await orders.list({ customerId: 'c1', status: undefined, pageSize: 2, beforeId: first.nextBeforeId }, ANY_ACTOR);
  const third = await orders.list({ customerId: 'c1', status: undefined, pageSize: 2, beforeId: second.nextBeforeId }, ANY_ACTOR);
  expect([...first.orders, ...second.orders, ...third.orders].map((o) => o.id)).toEqual(created.map((o) => o.id).reverse());
  expect(third.nextBeforeId).toBe('');
  const paid = await orders.list({ customerId: '', status: 'PAID', pageSize: 0, beforeId: '' }, ANY_ACTOR);
  expect(paid.orders.map((o) => o.id)).toEqual([created[1]?.id]);
});

describe('a customer acts only on its own orders', () => {
  const alice: Actor = { kind: 'customer', customerId: 'alice' };

  test("creating, reading and changing another customer's order is FORBIDDEN", async () => {
    const own = await orders.create(newOrder('alice'), alice);
    const bobs = await orders.create(newOrder('bob'), ANY_ACTOR);
    await expect(orders.create(newOrder('bob'), alice)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(orders.get(bobs.order.id, alice)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(orders.updateStatus(bobs.order.id, 'CANCELLED', 0n, alice)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await orders.get(bobs.order.id, ANY_ACTOR)).status).toBe('PENDING'); // untouched
    expect((await orders.get(own.order.id, alice)).id).toBe(own.order.id);
  });

  test("listing and watching default to the caller's own orders; naming another customer is FORBIDDEN", async () => {
    await orders.create(newOrder('alice'), alice);
    await orders.create(newOrder('bob'), ANY_ACTOR);
    const mine = await orders.list({ customerId: '', status: undefined, pageSize: 0, beforeId: '' }, alice);
    expect(mine.orders.map((o) => o.customerId)).toEqual(['alice']);
    await expect(orders.list({ customerId: 'bob', status: undefined, pageSize: 0, beforeId: '' }, alice)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(() => orders.watch({ customerId: 'bob', afterSequence: 0n }, alice, UNBOUNDED)).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
    const watched = orders.watch({ customerId: '', afterSequence: 0n }, alice, UNBOUNDED);
    expect((await take(watched, 1)).map((e) => e.order.customerId)).toEqual(['alice']);
  });

  test("tracking another customer's order is FORBIDDEN; imports report it per item", async () => {
    const bobs = await orders.create(newOrder('bob'), ANY_ACTOR);
    const tracker = await orders.track(alice, UNBOUNDED);
    await expect(tracker.track(bobs.order.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    async function* items() {
      yield newOrder('alice');
      yield newOrder('bob');
    }
    const result = await orders.importOrders(items(), alice, UNBOUNDED);
    expect(result).toMatchObject({ created: 1, failed: 1, errors: [{ index: 1, error: expect.objectContaining({ code: 'FORBIDDEN' }) }] });
  });
});

test('importOrders stops reading past maxItems and says so at that index', async () => {
  let read = 0;
  async function* many() {
    for (let i = 0; i < 10; i++) {
      read++;
      yield newOrder('c1', `max-${i}`);
    }
  }
  const result = await orders.importOrders(many(), ANY_ACTOR, UNBOUNDED, 3);
  expect(result).toMatchObject({
    created: 3,
    failed: 1,
    errors: [{ index: 3, error: expect.objectContaining({ code: 'LIMIT_EXCEEDED' }) }],
  });
  expect(read).toBe(4);
});
