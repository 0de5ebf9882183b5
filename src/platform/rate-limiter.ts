// Token buckets per key (the caller): `ratePerSecond` refill, `burst` capacity. Buckets live in
// an LRU so that a flood of distinct callers cannot grow memory without bound.
import { LRUCache } from 'lru-cache';

type Bucket = { tokens: number; at: number };

export type RateLimiter = (key: string) => boolean;

export function createRateLimiter(options: { ratePerSecond: number; burst: number; maxKeys?: number; now?: () => number }): RateLimiter {
  const now = options.now ?? (() => performance.now());
  const buckets = new LRUCache<string, Bucket>({ max: options.maxKeys ?? 10_000 });
  return (key) => {
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: options.burst, at: t };
    bucket.tokens = Math.min(options.burst, bucket.tokens + ((t - bucket.at) / 1000) * options.ratePerSecond);
    bucket.at = t;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    buckets.set(key, bucket);
    return allowed;
  };
}
