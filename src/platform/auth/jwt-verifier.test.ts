// The JWT verifier and its cache of verified tokens, with real jose-signed tokens (HS256, and
// RS256/ES256 from a JWKS file) and an injected clock read by both jose and the cache.
import { beforeAll, describe, expect, test } from 'vitest';
import { asymmetricSigner, AUDIENCE, hs256Token, ISSUER, randomSecret, type TokenClaims, writeJwks } from '../../../test/support/tokens.js';
import { createJwtVerifier, type JwtConfig } from './jwt-verifier.js';
import { AuthenticationError, type Principal } from './principal.js';

const secret = randomSecret();
const LEEWAY_S = 5;
const T0 = Math.floor(Date.now() / 1000) * 1000;
type Sign = (c: TokenClaims) => Promise<string>;
let signers: Record<'HS256' | 'RS256' | 'ES256', Sign>;
let jwksFile: string;

beforeAll(async () => {
  const rsa = await asymmetricSigner('RS256', 'rsa-1');
  const ec = await asymmetricSigner('ES256', 'ec-1');
  signers = { HS256: (c) => hs256Token(secret, c), RS256: rsa.sign, ES256: ec.sign };
  jwksFile = writeJwks([rsa.jwk, ec.jwk]);
});

/** A verifier on a clock the test moves. */
function verifierAt(startMs: number, extra: Partial<JwtConfig> = {}) {
  const clock = { ms: startMs };
  const config: JwtConfig = {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['HS256', 'RS256', 'ES256'],
    hs256Secret: { reveal: () => secret },
    jwksFile,
    jwksCacheMs: 600_000,
    leewaySeconds: LEEWAY_S,
    ...extra,
  };
  return { clock, verifier: createJwtVerifier(config, { now: () => clock.ms }) };
}

const isCacheHit = (result: Principal | Promise<Principal>): result is Principal => !(result instanceof Promise);

async function refusal(result: Principal | Promise<Principal>): Promise<string> {
  try {
    await result;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticationError);
    return (error as Error).message;
  }
  throw new Error('the token was accepted');
}

describe.each(['HS256', 'RS256', 'ES256'] as const)('%s', (alg) => {
  test('a verified token is then answered synchronously from the cache, with the same principal', async () => {
    const { verifier } = verifierAt(T0);
    const token = await signers[alg]({ subject: 'alice', scopes: ['orders:read'], expiresIn: T0 / 1000 + 3600 });
    const first = verifier.verify(token);
    expect(isCacheHit(first)).toBe(false);
    const principal = await first;
    expect(principal).toEqual({ subject: 'alice', scopes: new Set(['orders:read']), method: 'jwt' });
    const second = verifier.verify(token);
    expect(isCacheHit(second)).toBe(true);
    expect(second).toEqual(principal);
    expect(verifier.cachedTokens).toBe(1);
  });

  test('an expired token is refused even though it was cached while valid', async () => {
    const { clock, verifier } = verifierAt(T0);
    const expSeconds = T0 / 1000 + 60;
    const token = await signers[alg]({ expiresIn: expSeconds });
    await verifier.verify(token);
    clock.ms = expSeconds * 1000 - LEEWAY_S * 1000 - 1;
    expect(isCacheHit(verifier.verify(token))).toBe(true);
    // From exp minus the leeway the cache no longer answers; jose still accepts within the leeway…
    clock.ms = expSeconds * 1000 - LEEWAY_S * 1000;
    const late = verifier.verify(token);
    expect(isCacheHit(late)).toBe(false);
    expect((await late).subject).toBe('alice');
    expect(isCacheHit(verifier.verify(token))).toBe(false); // …without caching it again
    // …and refuses it past the leeway.
    clock.ms = (expSeconds + LEEWAY_S + 1) * 1000;
    expect(await refusal(verifier.verify(token))).toBe('token expired');
  });

  test('a token with a bad signature is refused even after a good token with the same claims was cached', async () => {
    const { verifier } = verifierAt(T0);
    const token = await signers[alg]({ scopes: ['orders:admin'], expiresIn: T0 / 1000 + 3600 });
    await verifier.verify(token);
    expect(isCacheHit(verifier.verify(token))).toBe(true);
    const [header, payload, signature = ''] = token.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await refusal(verifier.verify(forged))).toBe('token signature invalid');
    expect(await refusal(verifier.verify(forged))).toBe('token signature invalid');
    expect(await refusal(verifier.verify(`${header}.${payload}.`))).toMatch(/token (signature )?invalid/);
  });

  test('a token not yet valid is refused, accepted within the leeway but cached only from its nbf', async () => {
    const { clock, verifier } = verifierAt(T0);
    const nbfSeconds = T0 / 1000 + 60;
    const token = await signers[alg]({ notBefore: nbfSeconds, expiresIn: nbfSeconds + 3600 });
    expect(await refusal(verifier.verify(token))).toBe('token claim "nbf" not accepted');
    clock.ms = (nbfSeconds - 1) * 1000;
    await verifier.verify(token);
    expect(isCacheHit(verifier.verify(token))).toBe(false);
    clock.ms = nbfSeconds * 1000;
    await verifier.verify(token);
    expect(isCacheHit(verifier.verify(token))).toBe(true);
  });
});

describe('the cache of verified tokens', () => {
  test('stays within its bound under a flood of distinct tokens, keeping the most recent', async () => {
    const { verifier } = verifierAt(T0, { cacheMaxEntries: 50 });
    const tokens = await Promise.all(
      Array.from({ length: 500 }, (_, i) => hs256Token(secret, { subject: `user-${i}`, expiresIn: T0 / 1000 + 3600 })),
    );
    for (const token of tokens) {
      await verifier.verify(token);
      expect(verifier.cachedTokens).toBeLessThanOrEqual(50);
    }
    expect(verifier.cachedTokens).toBe(50);
    expect(isCacheHit(verifier.verify(tokens[499] ?? ''))).toBe(true);
    expect(isCacheHit(verifier.verify(tokens[0] ?? ''))).toBe(false);
  });

  test('refused tokens are not cached', async () => {
    const { verifier } = verifierAt(T0);
    const wrongAudience = await hs256Token(secret, { audience: 'someone-else', expiresIn: T0 / 1000 + 3600 });
    for (let i = 0; i < 3; i++) expect(await refusal(verifier.verify(wrongAudience))).toBe('token claim "aud" not accepted');
    expect(verifier.cachedTokens).toBe(0);
  });

  test('with cacheMaxEntries 0 every call is verified from scratch', async () => {
    const { verifier } = verifierAt(T0, { cacheMaxEntries: 0 });
    const token = await hs256Token(secret, { expiresIn: T0 / 1000 + 3600 });
    for (let i = 0; i < 3; i++) {
      const result = verifier.verify(token);
      expect(isCacheHit(result)).toBe(false);
      expect((await result).subject).toBe('alice');
    }
    expect(verifier.cachedTokens).toBe(0);
  });
});
