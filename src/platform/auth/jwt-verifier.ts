// Bearer-token verification with jose: signature, an algorithm allow-list ("none" can never be
// on it), exp/nbf with leeway, iss and aud. HS256 keys come from the secret store; RS256/ES256
// keys from a JWKS file (re-read when it changes) or URL (cached by jose, refetched on unknown kid).
import { readFileSync, statSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify, type JWTPayload } from 'jose';
import { AuthenticationError, type Principal } from './principal.js';

export type JwtConfig = Readonly<{
  issuer: string;
  audience: string;
  algorithms: readonly ('HS256' | 'RS256' | 'ES256')[];
  hs256Secret?: { reveal(): string } | undefined;
  jwksFile?: string | undefined;
  jwksUrl?: string | undefined;
  jwksCacheMs: number;
  leewaySeconds: number;
}>;

/** A JWKS file's key set, rebuilt when the file's modification time changes. */
function fileKeySet(path: string): JWTVerifyGetKey {
  let loadedAt = -1;
  let keys: JWTVerifyGetKey | undefined;
  return (header, token) => {
    const mtime = statSync(path).mtimeMs;
    if (keys === undefined || mtime !== loadedAt) {
      keys = createLocalJWKSet(JSON.parse(readFileSync(path, 'utf8')) as Parameters<typeof createLocalJWKSet>[0]);
      loadedAt = mtime;
    }
    return keys(header, token);
  };
}

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

export function createJwtVerifier(config: JwtConfig) {
  const secret = config.hs256Secret === undefined ? undefined : new TextEncoder().encode(config.hs256Secret.reveal());
  if (secret !== undefined && secret.length < 32) throw new Error('auth.jwt.hs256Secret must be at least 32 bytes');
  const keySet =
    config.jwksFile !== undefined
      ? fileKeySet(config.jwksFile)
      : config.jwksUrl !== undefined
        ? createRemoteJWKSet(new URL(config.jwksUrl), { cacheMaxAge: config.jwksCacheMs, cooldownDuration: 30_000 })
        : undefined;
  // The key follows the algorithm in the header: an HS256 token is never checked against a
  // public key (the classic RS256→HS256 confusion), and an unlisted algorithm has no key.
  const key: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret !== undefined) return secret;
    if (header.alg !== 'HS256' && keySet !== undefined) return keySet(header, token);
    throw new errors.JOSEAlgNotAllowed('algorithm not accepted');
  };

  return async (token: string): Promise<Principal> => {
    try {
      const { payload } = await jwtVerify(token, key, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: [...config.algorithms],
        clockTolerance: config.leewaySeconds,
        requiredClaims: ['sub', 'exp'],
      });
      return { subject: payload.sub ?? '', scopes: scopesOf(payload), method: 'jwt' };
    } catch (error) {
      throw new AuthenticationError(reason(error), { cause: error });
    }
  };
}
