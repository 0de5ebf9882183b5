// The caching decorators over both caches (memory, and the real Redis under this file's own key
// prefix): concurrent misses share one load, one batch read and one batch write per call, a
// reader racing a writer cannot put back the older order, a write on one replica is what every
// replica reads next (Redis), a failing cache only costs a trip to the source, and TTL jitter.
// Loads are held by the test (never timed), so every interleaving here is forced, not hoped for.
import { afterAll, describe, expect, test } from 'vitest';
import { cachedOrderRepository } from '../../src/adapters/cached-order-repository.js';
import { cachedProductCatalog } from '../../src/adapters/cached-product-catalog.js';
import { InProcessProductCatalog } from '../../src/adapters/in-process-catalog.js';
import { MemoryCache } from '../../src/adapters/memory/memory-cache.js';
import { MemoryProductRepository, openMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { RedisCache } from '../../src/adapters/redis/redis-cache.js';
import { type CacheObserver, readThroughCache } from '../../src/adapters/read-through-cache.js';
import type { CallScope } from '../../src/domain/call-scope.js';
import { changeStatus } from '../../src/domain/order.js';
import type { Cache, OrderRepository, ProductCatalog } from '../../src/domain/ports.js';
import { anOrder, sequentialIds } from '../support/builders.js';
import { deleteByPrefix, freePort, openReadyRedisCache, REDIS, uniquePrefix } from '../support/redis.js';
import { serviceAvailable } from '../support/required-services.js';

const available = await serviceAvailable('Redis', REDIS.host, REDIS.port);
const prefix = uniquePrefix('caching');
const opened: RedisCache[] = [];
let n = 0;
const ids = sequentialIds();
const at = new Date('2026-01-01T00:00:00.000Z');

afterAll(async () => {
  await Promise.all(opened.map((cache) => cache.close()));
  if (available) await deleteByPrefix(prefix);
});

/** A gate the test opens: work awaiting `passed` waits until `open()`. */
function gate() {
  let open!: () => void;
  const passed = new Promise<void>((resolve) => (open = resolve));
  return { passed, open };
}

/** Counts the calls made to a real cache (and the TTLs asked for). */
function counted(cache: Cache) {
  const calls = { getMany: 0, setMany: 0, delete: 0, ttls: [] as number[] };
  const wrapped: Cache = {
    getMany: (keys, scope) => (calls.getMany++, cache.getMany(keys, scope)),
    setMany: (entries, ttlMs, scope) => (calls.setMany++, calls.ttls.push(ttlMs), cache.setMany(entries, ttlMs, scope)),
    delete: (keys, scope) => (calls.delete++, cache.delete(keys, scope)),
  };
  return { cache: wrapped, calls };
}

/** A real memory store whose `get` counts loads and, while `hold` is set, waits for it after reading. */
function heldOrders() {
  const store = openMemoryStore(() => {});
  const state = { loads: 0, hold: undefined as Promise<void> | undefined, loading: gate() };
  // Every other method is the store's own (inherited), whatever the port grows.
  const orders: OrderRepository = Object.assign(Object.create(store.orders) as OrderRepository, {
    async get(id: string, scope?: CallScope) {
      state.loads++;
      const order = await store.orders.get(id, scope);
      state.loading.open();
      if (state.hold !== undefined) await abortable(state.hold, scope);
      return order;
    },
  });
  return { store, orders, state };
}

function abortable(hold: Promise<void>, scope: CallScope | undefined): Promise<void> {
  if (scope === undefined) return hold;
  return new Promise((resolve, reject) => {
    scope.signal.addEventListener('abort', () => reject(scope.signal.reason as Error), { once: true });
    void hold.then(resolve);
  });
}

/** An observer whose `misses(n)` resolves once n lookups have missed (a miss is followed at once by joining or starting a load). */
function missCounter() {
  let count = 0;
  const observer: CacheObserver = { hit() {}, miss: (k = 1) => (count += k), error() {} };
  const misses = async (n: number) => {
    while (count < n) await new Promise((resolve) => setImmediate(resolve));
  };
  return { observer, misses };
}

const openRedis = async (): Promise<Cache> => {
  const cache = await openReadyRedisCache({ keyPrefix: `${prefix}${++n}:` });
  opened.push(cache);
  return cache;
};
const CACHES: [string, () => Promise<Cache>][] = [['memory', () => Promise.resolve(new MemoryCache({ maxEntries: 1000 }))]];
if (available) CACHES.push(['Redis', openRedis]);

describe.each(CACHES)('caching decorators over the %s cache', (_name, openCache) => {
  test('20 concurrent misses for one order make one load; later gets make none', async () => {
    const { store, orders, state } = heldOrders();
    const order = anOrder({ id: ids() });
    await store.orders.create(order);
    const { observer, misses } = missCounter();
    const repository = cachedOrderRepository(orders, await openCache(), { ttlMs: 60_000, observer });
    const release = gate();
    state.hold = release.passed;
    const gets = Array.from({ length: 20 }, () => repository.get(order.id));
    await misses(20); // every get has missed and is loading or waiting on the load
    release.open();
    const results = await Promise.all(gets);
    expect(state.loads).toBe(1);
    expect(results).toEqual(Array.from({ length: 20 }, () => order));
    state.hold = undefined;
    expect(await repository.get(order.id)).toEqual(order);
    expect(state.loads).toBe(1);
  });

  test('a cached text is decoded once, however often it is read; a new text is decoded again', async () => {
    let decodes = 0;
    const codec = {
      key: (id: string) => `memo:${id}`,
      encode: (v: { n: number }) => JSON.stringify(v),
      decode: (t: string) => (decodes++, JSON.parse(t) as { n: number }),
    };
    const values = readThroughCache(await openCache(), codec, { ttlMs: 60_000 });
    const id = ids();
    const source = (n: number) => () => Promise.resolve(new Map([[id, { n }]]));
    await values.put([[id, { n: 1 }]]);
    const reads = [];
    for (let i = 0; i < 5; i++) reads.push((await values.getMany([id], source(0))).get(id));
    expect(reads).toEqual(Array.from({ length: 5 }, () => ({ n: 1 })));
    expect(decodes).toBe(1);
    await values.put([[id, { n: 2 }]]);
    expect((await values.getMany([id], source(0))).get(id)).toEqual({ n: 2 });
    expect(decodes).toBe(2);
  });

  test('a product catalog call is one batch read and at most one batch write; overlapping misses share loads', async () => {
    const products = new MemoryProductRepository();
    for (const id of ['a', 'b', 'c', 'd']) await products.upsert({ id, name: id, price: { currencyCode: 'EUR', amountMinor: 100n } }, at);
    const asked: string[][] = [];
    const release = gate();
    const source: ProductCatalog = {
      async findProducts(wanted, scope) {
        asked.push([...wanted].sort());
        await release.passed;
        return new InProcessProductCatalog(products).findProducts(wanted, scope);
      },
    };
    const { cache, calls } = counted(await openCache());
    const catalog = cachedProductCatalog(source, cache, { ttlMs: 60_000 });
    const first = catalog.findProducts(['a', 'b', 'ghost']);
    while (asked.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const second = catalog.findProducts(['b', 'c', 'a']);
    while (asked.length < 2) await new Promise((resolve) => setImmediate(resolve));
    release.open();
    const [one, two] = await Promise.all([first, second]);
    expect(asked).toEqual([['a', 'b', 'ghost'], ['c']]);
    expect([...one.keys()].sort()).toEqual(['a', 'b']);
    expect([...two.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(calls).toMatchObject({ getMany: 2, setMany: 2 });
    const third = await catalog.findProducts(['a', 'b', 'c']);
    expect([...third.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(calls).toMatchObject({ getMany: 3, setMany: 2 });
    expect(asked).toHaveLength(2);
  });

  test('a reader that loaded before a write cannot put the older order back', async () => {
    const { store, orders, state } = heldOrders();
    const order = anOrder({ id: ids() });
    await store.orders.create(order);
    const repository = cachedOrderRepository(orders, await openCache(), { ttlMs: 60_000 });
    const release = gate();
    state.hold = release.passed;
    const slowRead = repository.get(order.id); // loads version 1, then waits
    await state.loading.passed;
    state.hold = undefined;
    const paid = await repository.update(order.id, (current) => changeStatus(current, 'PAID', 1n, at));
    release.open();
    expect((await slowRead)?.version).toBe(1n);
    expect(await repository.get(order.id)).toEqual(paid);
    expect(state.loads).toBe(1);
  });

  test("a joiner whose leader's caller went away loads for itself", async () => {
    const { store, orders, state } = heldOrders();
    const order = anOrder({ id: ids() });
    await store.orders.create(order);
    const { observer, misses } = missCounter();
    const repository = cachedOrderRepository(orders, await openCache(), { ttlMs: 60_000, observer });
    const release = gate();
    state.hold = release.passed;
    const leader = new AbortController();
    const leaderGet = repository.get(order.id, { signal: leader.signal, deadline: Infinity });
    await state.loading.passed;
    const joinerGet = repository.get(order.id);
    await misses(2); // the joiner has joined the leader's load
    state.hold = undefined;
    leader.abort(new DOMException('the client went away', 'AbortError'));
    await expect(leaderGet).rejects.toMatchObject({ name: 'AbortError' });
    expect(await joinerGet).toEqual(order);
    expect(state.loads).toBe(2);
    release.open();
  });

  test('entries live the TTL minus up to the jitter share', async () => {
    const { cache, calls } = counted(await openCache());
    const randoms = [0, 0.999, 0.5];
    const store = openMemoryStore(() => {});
    const repository = cachedOrderRepository(store.orders, cache, { ttlMs: 10_000, jitterRatio: 0.2, random: () => randoms.shift() ?? 0 });
    for (let i = 0; i < 3; i++) await repository.create(anOrder({ id: ids() }));
    expect(calls.ttls).toEqual([10_000, 8002, 9000]);
  });
});

describe.skipIf(!available)('Redis shared by replicas', () => {
  test('a write through one replica is what another replica reads next; an in-process cache would not be', async () => {
    const store = openMemoryStore(() => {});
    const order = anOrder({ id: ids() });
    await store.orders.create(order);
    const shared = `${prefix}replicas:`;
    const [a, b] = await Promise.all([openReadyRedisCache({ keyPrefix: shared }), openReadyRedisCache({ keyPrefix: shared })]);
    opened.push(a, b);
    const replicaA = cachedOrderRepository(store.orders, a, { ttlMs: 60_000 });
    const replicaB = cachedOrderRepository(store.orders, b, { ttlMs: 60_000 });
    expect(await replicaA.get(order.id)).toEqual(order); // cached by A
    const paid = await replicaB.update(order.id, (current) => changeStatus(current, 'PAID', 1n, at));
    expect(await replicaA.get(order.id)).toEqual(paid);

    const localA = cachedOrderRepository(store.orders, new MemoryCache({ maxEntries: 10 }), { ttlMs: 60_000 });
    const localB = cachedOrderRepository(store.orders, new MemoryCache({ maxEntries: 10 }), { ttlMs: 60_000 });
    await localA.get(order.id);
    await localB.update(order.id, (current) => changeStatus(current, 'SHIPPED', 2n, at));
    expect((await localA.get(order.id))?.status).toBe('PAID'); // stale until its TTL: why replicas need Redis
  });
});

describe('a cache that fails', () => {
  test('reads and writes fall through to the source; the failures are observed, never thrown', async () => {
    const closedPort = await freePort();
    const down = new RedisCache({
      host: '127.0.0.1',
      port: closedPort,
      db: 0,
      keyPrefix: 'x:',
      commandTimeoutMs: 100,
      connectTimeoutMs: 200,
    });
    const seen: { operation: string; name: string; keys: number | undefined }[] = [];
    const counts = { hit: 0, miss: 0 };
    const observer: CacheObserver = {
      hit: (k = 1) => (counts.hit += k),
      miss: (k = 1) => (counts.miss += k),
      error: (operation, error, keys) => seen.push({ operation, name: (error as Error).name, keys }),
    };
    const store = openMemoryStore(() => {});
    const repository = cachedOrderRepository(store.orders, down, { ttlMs: 60_000, observer });
    const order = anOrder({ id: ids() });
    expect((await repository.create(order)).created).toBe(true);
    expect(await repository.get(order.id)).toEqual(order);
    expect(await repository.get(ids())).toBeUndefined();
    // A read that failed is not followed by a fill: the cache is spared calls that would fail too.
    expect(seen).toEqual([
      { operation: 'write', name: 'CacheUnavailableError', keys: undefined },
      { operation: 'read', name: 'CacheUnavailableError', keys: 1 },
      { operation: 'read', name: 'CacheUnavailableError', keys: 1 },
    ]);
    expect(counts).toEqual({ hit: 0, miss: 0 });
    await down.close();
  });

  test('garbage in an entry is a decode error and a trip to the source', async () => {
    const cache = new MemoryCache({ maxEntries: 10 });
    const store = openMemoryStore(() => {});
    const order = anOrder({ id: ids() });
    await store.orders.create(order);
    await cache.setMany([{ key: `order:v1:${order.id}`, value: '{not json' }], 60_000);
    const seen: string[] = [];
    const repository = cachedOrderRepository(store.orders, cache, {
      ttlMs: 60_000,
      observer: { hit() {}, miss() {}, error: (operation) => seen.push(operation) },
    });
    expect(await repository.get(order.id)).toEqual(order);
    expect(seen).toEqual(['decode']);
    expect(await repository.get(order.id)).toEqual(order);
    expect(seen).toEqual(['decode']); // the good copy replaced the garbage
  });
});
