// The OrderRepository and OrderEventLog contract, run against every store.
import { describe, expect, test } from 'vitest';
import type { Store } from '../../src/adapters/store.js';
import { changeStatus } from '../../src/domain/order.js';
import { anOrder, sequentialIds } from '../support/builders.js';

export type OpenedStore = { store: Store; committed: bigint[] };

export function orderStoreContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`OrderRepository + OrderEventLog contract: ${name}`, () => {
    const ids = sequentialIds();
    const order = (overrides: Parameters<typeof anOrder>[0] = {}) => anOrder({ id: ids(), ...overrides });
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

    test('create stores the order and its CREATED event; get returns it intact', async () => {
      const { store, committed } = await open();
      const o = order({ idempotencyKey: 'k', total: { currencyCode: 'EUR', amountMinor: 2n ** 62n } });
      expect(await store.orders.create(o)).toEqual({ order: o, created: true });
      expect(await store.orders.get(o.id)).toEqual(o);
      const { events, head } = await store.events.read({ afterSequence: 0n, limit: 10 });
      expect(head).toBe(1n);
      expect(events).toEqual([{ sequence: 1n, type: 'CREATED', order: o, occurTime: o.updateTime }]);
      expect(committed).toEqual([1n]);
    });

    test('get resolves undefined for an absent order', async () => {
      const { store } = await open();
      expect(await store.orders.get(ids())).toBeUndefined();
    });

    test('a second create with the same customer and idempotency key writes nothing and returns the first', async () => {
      const { store } = await open();
      const first = order({ customerId: 'c', idempotencyKey: 'k' });
      await store.orders.create(first);
      const again = await store.orders.create(order({ customerId: 'c', idempotencyKey: 'k', status: 'PAID' }));
      expect(again).toEqual({ order: first, created: false });
      expect(await store.events.head()).toBe(1n);
      const otherCustomer = await store.orders.create(order({ customerId: 'd', idempotencyKey: 'k' }));
      expect(otherCustomer.created).toBe(true);
    });

    test('an order is found by its customer and idempotency key, and only so', async () => {
      const { store } = await open();
      const first = order({ customerId: 'c', idempotencyKey: 'find-me' });
      await store.orders.create(first);
      expect(await store.orders.findByIdempotencyKey('c', 'find-me')).toEqual(first);
      expect(await store.orders.findByIdempotencyKey('d', 'find-me')).toBeUndefined();
      expect(await store.orders.findByIdempotencyKey('c', 'other')).toBeUndefined();
      await store.orders.create(order({ customerId: 'c', idempotencyKey: '' }));
      expect(await store.orders.findByIdempotencyKey('c', '')).toBeUndefined();
    });

    test('racing creates with one key make exactly one order and one event', async () => {
      const { store } = await open();
      const results = await Promise.all(
        Array.from({ length: 8 }, () => store.orders.create(order({ customerId: 'c', idempotencyKey: 'race' }))),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
      expect(await store.events.head()).toBe(1n);
    });

    test('orders without an idempotency key never collide', async () => {
      const { store } = await open();
      expect((await store.orders.create(order({ customerId: 'c' }))).created).toBe(true);
      expect((await store.orders.create(order({ customerId: 'c' }))).created).toBe(true);
    });

    test('update stores the change with a STATUS_CHANGED event', async () => {
      const { store, committed } = await open();
      const o = order();
      await store.orders.create(o);
      const paid = await store.orders.update(o.id, (current) => changeStatus(current, 'PAID', 1n, t(9)));
      expect(paid).toMatchObject({ status: 'PAID', version: 2n, updateTime: t(9) });
      expect(await store.orders.get(o.id)).toEqual(paid);
      const { events } = await store.events.read({ afterSequence: 1n, limit: 10 });
      expect(events).toEqual([{ sequence: 2n, type: 'STATUS_CHANGED', order: paid, occurTime: t(9) }]);
      expect(committed).toEqual([1n, 2n]);
    });

    test('update of an absent order is NOT_FOUND', async () => {
      const { store } = await open();
      await expect(store.orders.update(ids(), (o) => o)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    test('when change throws, the error propagates and nothing is written', async () => {
      const { store, committed } = await open();
      const o = order({ status: 'DELIVERED' });
      await store.orders.create(o);
      await expect(store.orders.update(o.id, (current) => changeStatus(current, 'PAID', 0n, t(9)))).rejects.toMatchObject({
        code: 'ILLEGAL_STATE',
      });
      expect(await store.orders.get(o.id)).toEqual(o);
      expect(await store.events.head()).toBe(1n);
      expect(committed).toEqual([1n]);
    });

    test('concurrent updates of one order are serialised: no lost update, gap-free sequences', async () => {
      const { store } = await open();
      const o = order();
      await store.orders.create(o);
      await Promise.all(
        Array.from({ length: 10 }, () => store.orders.update(o.id, (current) => ({ ...current, version: current.version + 1n }))),
      );
      expect((await store.orders.get(o.id))?.version).toBe(11n);
      const { events, head } = await store.events.read({ afterSequence: 0n, limit: 100 });
      expect(head).toBe(11n);
      expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 11 }, (_, i) => BigInt(i + 1)));
      expect(events.slice(1).map((e) => e.order.version)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i + 2)));
    });

    test('list filters by customer and status and pages newest first', async () => {
      const { store } = await open();
      const made = [];
      for (let i = 0; i < 5; i++) made.push(order({ customerId: i % 2 === 0 ? 'even' : 'odd', status: i === 4 ? 'PAID' : 'PENDING' }));
      for (const o of made) await store.orders.create(o);
      const all = (await store.orders.list({ customerId: undefined, status: undefined, beforeId: '', limit: 10 })).map((o) => o.id);
      expect(all).toEqual(made.map((o) => o.id).reverse());
      const even = await store.orders.list({ customerId: 'even', status: undefined, beforeId: '', limit: 10 });
      expect(even.map((o) => o.id)).toEqual([made[4]?.id, made[2]?.id, made[0]?.id]);
      const paid = await store.orders.list({ customerId: undefined, status: 'PAID', beforeId: '', limit: 10 });
      expect(paid.map((o) => o.id)).toEqual([made[4]?.id]);
      const page = await store.orders.list({ customerId: undefined, status: undefined, beforeId: made[3]?.id ?? '', limit: 2 });
      expect(page.map((o) => o.id)).toEqual([made[2]?.id, made[1]?.id]);
      expect(await store.orders.count({ customerId: undefined, status: undefined })).toBe(5);
      expect(await store.orders.count({ customerId: 'even', status: 'PENDING' })).toBe(2);
      expect(await store.orders.count({ customerId: 'nobody', status: undefined })).toBe(0);
    });

    test('read filters events by customer and by order ids and honours the limit', async () => {
      const { store } = await open();
      const a = order({ customerId: 'a' });
      const b = order({ customerId: 'b' });
      await store.orders.create(a);
      await store.orders.create(b);
      await store.orders.update(a.id, (o) => changeStatus(o, 'PAID', 0n, t(5)));
      const ofA = await store.events.read({ afterSequence: 0n, customerId: 'a', limit: 10 });
      expect(ofA.events.map((e) => e.sequence)).toEqual([1n, 3n]);
      expect(ofA.head).toBe(3n);
      const ofB = await store.events.read({ afterSequence: 0n, orderIds: [b.id], limit: 10 });
      expect(ofB.events.map((e) => e.sequence)).toEqual([2n]);
      const none = await store.events.read({ afterSequence: 0n, orderIds: [], limit: 10 });
      expect(none).toEqual({ events: [], head: 3n });
      const limited = await store.events.read({ afterSequence: 1n, limit: 1 });
      expect(limited.events.map((e) => e.sequence)).toEqual([2n]);
    });

    test('an empty log has head 0', async () => {
      const { store } = await open();
      expect(await store.events.head()).toBe(0n);
      expect(await store.events.read({ afterSequence: 0n, limit: 5 })).toEqual({ events: [], head: 0n });
    });
  });
}
