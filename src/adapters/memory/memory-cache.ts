// In-process LRU cache with per-entry TTL (lru-cache): the default Cache, one per process and
// per use. It cannot fail; it rejects only a call whose scope has already ended.
import { LRUCache } from 'lru-cache';
import { type CallScope, UNBOUNDED } from '../../domain/call-scope.js';
import type { Cache, CacheEntry } from '../../domain/ports.js';
import { endedScopeFailure } from '../cache-failure.js';

type Stored = Readonly<{ value: string; version: bigint | undefined }>;

export class MemoryCache implements Cache {
  private readonly lru: LRUCache<string, Stored>;

  constructor(options: { maxEntries: number }) {
    this.lru = new LRUCache({ max: options.maxEntries, ttlAutopurge: false });
  }

  getMany(keys: readonly string[], scope: CallScope = UNBOUNDED): Promise<(string | undefined)[]> {
    const failure = endedScopeFailure(scope);
    if (failure !== undefined) return Promise.reject(failure);
    return Promise.resolve(keys.map((key) => this.lru.get(key)?.value));
  }

  setMany(entries: readonly CacheEntry[], ttlMs: number, scope: CallScope = UNBOUNDED): Promise<void> {
    const failure = endedScopeFailure(scope);
    if (failure !== undefined) return Promise.reject(failure);
    for (const { key, value, version } of entries) {
      const current = version === undefined ? undefined : this.lru.get(key)?.version;
      if (current !== undefined && version !== undefined && current > version) continue;
      this.lru.set(key, { value, version }, { ttl: ttlMs });
    }
    return Promise.resolve();
  }

  delete(keys: readonly string[], scope: CallScope = UNBOUNDED): Promise<void> {
    const failure = endedScopeFailure(scope);
    if (failure !== undefined) return Promise.reject(failure);
    for (const key of keys) this.lru.delete(key);
    return Promise.resolve();
  }
}
