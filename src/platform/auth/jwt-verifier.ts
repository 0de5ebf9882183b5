// Bearer-token verification with jose: signature, an algorithm allow-list ("none" can never be
// on it), exp/nbf with leeway, iss and aud. HS256 keys come from the secret store (imported once,
// at startup); RS256/ES256 keys from a JWKS file (re-read when it changes) or URL (cached by jose,
// refetched on unknown kid). Tokens that verify are cached (verified-token-cache.ts), so a token
// presented again is answered synchronously, without a signature check.
import { webcrypto } from 'node:crypto';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { fileKeySet, type JwksKeySet, remoteKeySet } from './jwks-key-set.js';
import { AuthenticationError, type Principal } from './principal.js';
import { createVerifiedTokenCache, FIXED_KEY, tokenDigest } from './verified-token-cache.js';

export type JwtConfig = Readonly<{
  issuer: string;
  audience: string;
  algorithms: readonly ('HS256' | 'RS256' | 'ES256')[];
  hs256Secret?: { reveal(): string } | undefined;
  jwksFile?: string | undefined;
  jwksUrl?: string | undefined;
  jwksCacheMs: number;
  leewaySeconds: number;
  /** Verified tokens remembered (0: none, every call is verified from scratch). Default 10,000. */
  cacheMaxEntries?: number | undefined;
}>;

export type JwtVerifier = {
  /** The caller's principal: synchronously for a cached token, else once verified; throws (or rejects with) AuthenticationError. */
  verify(token: string): Principal | Promise<Principal>;
  /** How many verified tokens are cached now. */
  readonly cachedTokens: number;
};

/** Test seam: the clock (epoch ms) that both jose's exp/nbf checks and the cache's expiry read. */
export type JwtVerifierSeams = Readonly<{ now?: (() => number) | undefined }>;

function scopesOf(payload: JWTPayload): Set<string> {
  const claim = payload.scope ?? payload.scp;
  if (typeof claim === 'string') return new Set(claim.split(' ').filter((s) => s !== ''));
  if (Array.isArray(claim)) return new Set(claim.filter((s): s is string => typeof s === 'string'));
  return new Set();
}

/** What the caller is told: the kind of problem, never the token or the keys. */
function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim "${error.claim}" not accepted`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'token signed by an unknown key';
  return 'token invalid';
}

/** The HS256 secret as a non-extractable CryptoKey, imported once (jose re-imports raw bytes and KeyObjects on every call). */
function hs256Key(config: JwtConfig): Promise<webcrypto.CryptoKey> | undefined {
  if (config.hs256Secret === undefined) return undefined;
  const bytes = new TextEncoder().encode(config.hs256Secret.reveal());
  if (bytes.length < 32) throw new Error('auth.jwt.hs256Secret must be at least 32 bytes');
  const key = webcrypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  key.catch(() => undefined); // a failure surfaces where the key is used, not as an unhandled rejection
  return key;
}

function jwksOf(config: JwtConfig): JwksKeySet | undefined {
  if (config.jwksFile !== undefined) return fileKeySet(config.jwksFile);
  if (config.jwksUrl !== undefined)
    return remoteKeySet(new URL(config.jwksUrl), { cacheMaxAge: config.jwksCacheMs, cooldownDuration: 30_000 });
  return undefined;
}

export function createJwtVerifier(config: JwtConfig, seams: JwtVerifierSeams = {}): JwtVerifier {
  const now = seams.now ?? Date.now;
  const secret = hs256Key(config);
  const keySet = jwksOf(config);
  const options: JWTVerifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: [...config.algorithms],
    clockTolerance: config.leewaySeconds,
    requiredClaims: ['sub', 'exp'],
  };
  const leewayMs = config.leewaySeconds * 1000;
  const maxEntries = config.cacheMaxEntries ?? 10_000;
  const cache = maxEntries > 0 ? createVerifiedTokenCache(maxEntries) : undefined;
  const generation = keySet === undefined ? () => undefined : () => keySet.current();

  /** jose's full check; the token is cached under `digest` when given and when the key that vouched for it is known. */
  async function verifyFully(token: string, digest: string | undefined): Promise<Principal> {
    const nowMs = now();
    // Which key set vouched for the token (undefined: not certain, so it is not cached).
    let from: number | undefined;
    // The key follows the algorithm in the header: an HS256 token is never checked against a
    // public key (the classic RS256→HS256 confusion), and an unlisted algorithm has no key.
    const key: JWTVerifyGetKey = async (header, jws) => {
      if (header.alg === 'HS256' && secret !== undefined) {
        from = FIXED_KEY;
        return secret;
      }
      if (header.alg !== 'HS256' && keySet !== undefined) {
        const found = await keySet.lookup(header, jws);
        from = found.generation;
        return found.key;
      }
      throw new errors.JOSEAlgNotAllowed('algorithm not accepted');
    };
    try {
      const { payload } = await jwtVerify(token, key, { ...options, currentDate: new Date(nowMs) });
      const principal: Principal = { subject: payload.sub ?? '', scopes: scopesOf(payload), method: 'jwt' };
      if (cache === undefined || digest === undefined || payload.exp === undefined || from === undefined) return principal;
      cache.set(digest, nowMs, {
        principal,
        usableFromMs: typeof payload.nbf === 'number' ? payload.nbf * 1000 : nowMs,
        usableUntilMs: payload.exp * 1000 - leewayMs,
        generation: from,
      });
      return principal;
    } catch (error) {
      throw new AuthenticationError(reason(error), { cause: error });
    }
  }

  return {
    verify(token) {
      if (cache === undefined) return verifyFully(token, undefined);
      const digest = tokenDigest(token);
      return cache.get(digest, now(), generation) ?? verifyFully(token, digest);
    },
    get cachedTokens() {
      return cache?.size ?? 0;
    },
  };
}
