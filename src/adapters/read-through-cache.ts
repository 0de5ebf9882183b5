// Read-through caching for the caching decorators, over any Cache: one batch read per call, one
// load for what missed (concurrent misses for one id share a single load: a singleflight), one
// batch write of what was loaded (none when the read failed), with a jittered TTL. The cache
// failing is a miss, never an error.
import { type CallScope, isAborted, UNBOUNDED } from '../domain/call-scope.js';
import type { Cache, CacheEntry } from '../domain/ports.js';

/** What happened to lookups, for metrics and logs. Implementations must not throw. */
export type CacheObserver = Readonly<{
  hit(count?: number): void;
  miss(count?: number): void;
  /**
   * A cache call failed (`read`: its `keys` lookups count as errors, not misses, and go to the
   * source; `write`: maybe not stored) or an entry held garbage (`decode`: one lookup).
   */
  error(operation: 'read' | 'write' | 'decode', error: unknown, keys?: number): void;
}>;

/** How values of one kind live in the cache. */
export type CacheCodec<T> = Readonly<{
  /** The cache key of `id`; carries a format version, so replicas of old and new code never read each other's entries. */
  key(id: string): string;
  encode(value: T): string;
  /** The value of `text`. Values decoded from one text are shared by every reader, so T must be immutable. */
  decode(text: string): T;
  /** Orders the copies of one id (see Cache.setMany); omit for values that have none. */
  version?(value: T): bigint;
}>;

export type ReadThroughOptions = Readonly<{
  /** Longest time an entry lives. */
  ttlMs: number;
  /** Each entry lives ttlMs minus up to this share of it, so entries filled together do not expire together. */
  jitterRatio?: number;
  observer?: CacheObserver | undefined;
  random?: () => number;
}>;

/** Loads the values of `ids` from the source of truth; absent ids are left out. */
export type Load<T> = (ids: readonly string[], scope: CallScope) => Promise<ReadonlyMap<string, T>>;

type Flight<T> = Readonly<{ scope: CallScope; values: Promise<ReadonlyMap<string, T>> }>;

const NO_OBSERVER: CacheObserver = { hit() {}, miss() {}, error() {} };

/**
 * How many recently read texts keep their decoded value. A hot key's text is decoded once, not
 * on every read: the in-process cache hands out the same string each time (V8 keeps its hash),
 * and a Redis reply costs a hash of the text instead of a parse. Decoding was ~6 % of a cached
 * GetOrder's CPU.
 */
const DECODED_TEXTS = 1024;

export type ReadThroughCache<T> = ReturnType<typeof readThroughCache<T>>;

export function readThroughCache<T>(cache: Cache, codec: CacheCodec<T>, options: ReadThroughOptions) {
  const observer = options.observer ?? NO_OBSERVER;
  const random = options.random ?? Math.random;
  const jitter = options.jitterRatio ?? 0;
  const flights = new Map<string, Flight<T>>();
  const ttl = () => Math.max(1, options.ttlMs - Math.floor(random() * options.ttlMs * jitter));
  const entry = (id: string, value: T): CacheEntry => ({ key: codec.key(id), value: codec.encode(value), version: codec.version?.(value) });
  const decoded = new Map<string, T>();
  const decode = (text: string): T => {
    const known = decoded.get(text);
    if (known !== undefined) return known;
    const value = codec.decode(text);
    if (decoded.size >= DECODED_TEXTS) decoded.delete(decoded.keys().next().value as string);
    decoded.set(text, value);
    return value;
  };

  async function store(entries: CacheEntry[], scope: CallScope): Promise<void> {
    if (entries.length === 0) return;
    try {
      await cache.setMany(entries, ttl(), scope);
    } catch (error) {
      observer.error('write', error);
    }
  }

  /** The cached values of `ids` (undefined: not usable) and how many lookups failed. */
  async function read(ids: readonly string[], scope: CallScope): Promise<{ values: (T | undefined)[]; errors: number; failed: boolean }> {
    let texts: (string | undefined)[];
    try {
      texts = await cache.getMany(ids.map(codec.key), scope);
    } catch (error) {
      observer.error('read', error, ids.length);
      return { values: ids.map(() => undefined), errors: ids.length, failed: true };
    }
    let errors = 0;
    const values = texts.map((text) => {
      if (text === undefined) return undefined;
      try {
        return decode(text);
      } catch (error) {
        observer.error('decode', error, 1);
        errors += 1;
        return undefined;
      }
    });
    return { values, errors, failed: false };
  }

  /** Starts one load for `ids` that later misses for the same ids join until it settles. */
  function fly(ids: readonly string[], load: Load<T>, scope: CallScope): Flight<T> {
    const flight: Flight<T> = { scope, values: load(ids, scope) };
    for (const id of ids) flights.set(id, flight);
    const land = () => {
      for (const id of ids) if (flights.get(id) === flight) flights.delete(id);
    };
    void flight.values.then(land, land);
    return flight;
  }

  /** Values of `ids` from the source: own load for ids nobody is loading, joined loads for the rest. */
  async function loadMissing(
    ids: readonly string[],
    load: Load<T>,
    scope: CallScope,
  ): Promise<{ found: Map<string, T>; loadedHere: Map<string, T> }> {
    const found = new Map<string, T>();
    const loadedHere = new Map<string, T>();
    const joined = new Map<Flight<T>, string[]>();
    const mine: string[] = [];
    for (const id of ids) {
      const flight = flights.get(id);
      if (flight === undefined) mine.push(id);
      else joined.set(flight, [...(joined.get(flight) ?? []), id]);
    }
    const own = mine.length === 0 ? undefined : fly(mine, load, scope);
    const joins = [...joined].map(async ([flight, wanted]) => {
      try {
        const values = await within(flight.values, scope);
        for (const id of wanted) copy(values, id, found);
      } catch (error) {
        // The leader's caller went away: its load says nothing about ours, so load again.
        if (!ended(flight.scope) || ended(scope)) throw error;
        const again = await loadMissing(wanted, load, scope);
        for (const [id, value] of again.found) found.set(id, value);
        for (const [id, value] of again.loadedHere) loadedHere.set(id, value);
      }
    });
    const [values] = await Promise.all([own?.values, ...joins]);
    if (values !== undefined) {
      for (const id of mine) {
        copy(values, id, found);
        copy(values, id, loadedHere);
      }
    }
    return { found, loadedHere };
  }

  return {
    /**
     * The values of `ids` (absent ones left out): from the cache, else from `load`, whose results
     * are then cached. Rejects only when `load` does.
     */
    async getMany(ids: readonly string[], load: Load<T>, scope: CallScope = UNBOUNDED): Promise<Map<string, T>> {
      const unique = [...new Set(ids)];
      const cached = await read(unique, scope);
      const found = new Map<string, T>();
      const missing: string[] = [];
      unique.forEach((id, i) => {
        const value = cached.values[i];
        if (value === undefined) missing.push(id);
        else found.set(id, value);
      });
      if (found.size > 0) observer.hit(found.size);
      if (missing.length === 0) return found;
      if (missing.length > cached.errors) observer.miss(missing.length - cached.errors);
      const { found: loaded, loadedHere } = await loadMissing(missing, load, scope);
      for (const [id, value] of loaded) found.set(id, value);
      // A cache that just failed a read would most likely fail the fill too: spare it the load.
      if (!cached.failed)
        await store(
          [...loadedHere].map(([id, value]) => entry(id, value)),
          scope,
        );
      return found;
    },

    /** Caches values just written to the source, so that every reader (every replica) sees them. */
    async put(values: ReadonlyArray<readonly [string, T]>, scope: CallScope = UNBOUNDED): Promise<void> {
      // Readers from now on must not join a load that began before this write.
      for (const [id] of values) flights.delete(id);
      await store(
        values.map(([id, value]) => entry(id, value)),
        scope,
      );
    },
  };
}

function copy<T>(from: ReadonlyMap<string, T>, id: string, to: Map<string, T>): void {
  const value = from.get(id);
  if (value !== undefined) to.set(id, value);
}

const ended = (scope: CallScope) => isAborted(scope) || Date.now() >= scope.deadline;

/** `work`, or the scope's abort reason if that comes first. */
function within<T>(work: Promise<T>, scope: CallScope): Promise<T> {
  if (scope === UNBOUNDED) return work;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(scope.signal.reason as Error);
    if (scope.signal.aborted) return onAbort();
    scope.signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => scope.signal.removeEventListener('abort', onAbort));
  });
}
