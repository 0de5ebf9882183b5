// In-process LRU cache with per-entry TTL (lru-cache): the default Cache, one per process.
import { LRUCache } from 'lru-cache';
import type { Cache } from '../../domain/ports.js';

export class MemoryCache implements Cache {
  private readonly lru: LRUCache<string, string>;

  constructor(options: { maxEntries: number }) {
    this.lru = new LRUCache({ max: options.maxEntries, ttlAutopurge: false });
  }

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.lru.get(key));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.lru.set(key, value, { ttl: ttlMs });
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.lru.delete(key);
    return Promise.resolve();
  }
}
