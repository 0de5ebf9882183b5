// Tokens that passed verification, so that the same token presented again costs a digest and a
// lookup instead of a signature check. Bounded (least recently used entries go first), keyed by
// the SHA-256 of the token (the token itself is never kept), and an entry is only used inside
// the window in which the verifier would accept the token anyway: from nbf, up to exp minus the
// leeway, and only while the key set it was verified with is still the one in force.
// Failures are not cached: a caller who sends a different bad token each time would get past a
// negative cache anyway, and a refused token has no cost worth saving.
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Principal } from './principal.js';

/** The key-set generation of a token verified with a key that never changes (the HS256 secret). */
export const FIXED_KEY = -1;

export type CachedToken = Readonly<{
  principal: Principal;
  /** Epoch milliseconds: usable from (the token's nbf, or when it was verified) … */
  usableFromMs: number;
  /** … until, exclusive (the token's exp minus the leeway). */
  usableUntilMs: number;
  /** The key set's generation when the token was verified, or FIXED_KEY. */
  generation: number;
}>;

export type VerifiedTokenCache = {
  /** The principal of a cached token still usable at `nowMs` under key-set generation `generation()`. */
  get(digest: string, nowMs: number, generation: () => number | undefined): Principal | undefined;
  /** Remembers a verified token; ignored unless it is usable at `nowMs`. */
  set(digest: string, nowMs: number, entry: CachedToken): void;
  readonly size: number;
};

/** The cache key of a token: its SHA-256, base64. */
export const tokenDigest = (token: string): string => hash('sha256', token, 'base64');

export function createVerifiedTokenCache(maxEntries: number): VerifiedTokenCache {
  const entries = new LRUCache<string, CachedToken>({ max: maxEntries });
  const usable = (e: CachedToken, nowMs: number) => nowMs >= e.usableFromMs && nowMs < e.usableUntilMs;
  return {
    get(digest, nowMs, generation) {
      const entry = entries.get(digest);
      if (entry === undefined) return undefined;
      if (usable(entry, nowMs) && (entry.generation === FIXED_KEY || entry.generation === generation())) return entry.principal;
      entries.delete(digest);
      return undefined;
    },
    set(digest, nowMs, entry) {
      if (usable(entry, nowMs)) entries.set(digest, entry);
    },
    get size() {
      return entries.size;
    },
  };
}
