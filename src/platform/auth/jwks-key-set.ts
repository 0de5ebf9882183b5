// Public keys for RS256/ES256 from a JWKS file or URL, with a generation number that changes
// whenever the published keys change, so that tokens verified with an older set can be told apart.
// Imported keys are cached by jose's createLocalJWKSet (per JWK and algorithm, for the life of
// one set); a file is re-read when its stat changes, a URL is refetched by jose (cacheMaxAge, or
// an unknown kid after the cooldown).
import { readFileSync, statSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, jwksCache } from 'jose';

type Header = Parameters<JWTVerifyGetKey>[0];
type Token = Parameters<JWTVerifyGetKey>[1];
type Key = Awaited<ReturnType<ReturnType<typeof createLocalJWKSet>>>;

export type JwksKeySet = {
  /**
   * The public key for a token's header (rejects when no key matches), with the generation of the
   * set it came from, or undefined when that is not certain (the set changed during the lookup).
   */
  lookup(header: Header, token: Token): Promise<{ key: Key; generation: number | undefined }>;
  /**
   * The generation of the keys in force now, or undefined when they cannot be vouched for without
   * a lookup (file unreadable or malformed, remote set stale). Cheap: one stat for a file, a
   * timestamp comparison for a URL.
   */
  current(): number | undefined;
};

/** A JWKS file, re-read when its modification time, size or inode changes. */
export function fileKeySet(path: string): JwksKeySet {
  let seen = { mtimeMs: NaN, size: NaN, ino: NaN };
  let content: string | undefined;
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let generation = 0;
  // Throws (keeping the last good state, so the next call retries) when the file cannot be used.
  const refresh = () => {
    const stat = statSync(path);
    if (keys !== undefined && stat.mtimeMs === seen.mtimeMs && stat.size === seen.size && stat.ino === seen.ino) return keys;
    const text = readFileSync(path, 'utf8');
    if (keys === undefined || text !== content) {
      keys = createLocalJWKSet(JSON.parse(text) as JSONWebKeySet);
      content = text;
      generation++;
    }
    seen = stat;
    return keys;
  };
  return {
    async lookup(header, token) {
      const set = refresh();
      const from = generation; // read with the set, before any other call can refresh it
      return { key: await set(header, token), generation: from };
    },
    current() {
      try {
        refresh();
        return generation;
      } catch {
        return undefined;
      }
    },
  };
}

/** A JWKS URL, fetched and cached by jose; a fetch that brings different keys starts a generation. */
export function remoteKeySet(url: URL, options: { cacheMaxAge: number; cooldownDuration: number }): JwksKeySet {
  // jose writes every successful fetch here (uat: when, jwks: what), which is how a refetch is seen.
  const fetched: { uat?: number; jwks?: JSONWebKeySet } = {};
  const remote = createRemoteJWKSet(url, { ...options, [jwksCache]: fetched as Record<string, never> });
  let seenAt: number | undefined;
  let seenKeys: string | undefined;
  let generation = 0;
  const sync = () => {
    if (fetched.uat === seenAt) return generation;
    seenAt = fetched.uat;
    const keys = JSON.stringify(fetched.jwks);
    if (keys !== seenKeys) generation++;
    seenKeys = keys;
    return generation;
  };
  return {
    async lookup(header, token) {
      // Refetch a stale set first (as jose would), so the lookup itself only refetches for an
      // unknown kid; if that brings different keys, which set answered is not certain.
      if (!remote.fresh) await remote.reload();
      const before = sync();
      const key = await remote(header, token);
      return { key, generation: sync() === before ? before : undefined };
    },
    current() {
      const now = sync();
      return remote.fresh ? now : undefined;
    },
  };
}
