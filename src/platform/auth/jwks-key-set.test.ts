// Key rotation and the cache of verified tokens: a JWKS file rewritten without a key, or a JWKS
// URL refetched with different keys, ends every cached token verified with the old set; the same
// keys published again (touched file, unchanged refetch) keep them. Real jose-signed tokens.
import { createServer, type Server } from 'node:http';
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { asymmetricSigner, AUDIENCE, hs256Token, ISSUER, randomSecret, writeJwks } from '../../../test/support/tokens.js';
import type { JWK } from 'jose';
import { createJwtVerifier, type JwtConfig } from './jwt-verifier.js';
import type { Principal } from './principal.js';

const secret = randomSecret();
const base: JwtConfig = {
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ['HS256', 'RS256', 'ES256'],
  hs256Secret: { reveal: () => secret },
  jwksCacheMs: 600_000,
  leewaySeconds: 0,
};
const isCacheHit = (result: Principal | Promise<Principal>) => !(result instanceof Promise);
let mtime = Date.now() / 1000 + 10;

/** Rewrites the JWKS file with a modification time of its own (no waiting for the clock to tick). */
function publish(keys: JWK[], path: string) {
  writeJwks(keys, path);
  utimesSync(path, mtime, mtime);
  mtime += 10;
}

describe('a JWKS file', () => {
  test.each(['RS256', 'ES256'] as const)(
    '%s: rewritten with a new key and the old kid removed, ends the cached tokens of the old key',
    async (alg) => {
      const old = await asymmetricSigner(alg, `${alg}-old`);
      const next = await asymmetricSigner(alg, `${alg}-new`);
      const jwksFile = writeJwks([old.jwk]);
      const verifier = createJwtVerifier({ ...base, jwksFile });
      const oldToken = await old.sign();
      const hsToken = await hs256Token(secret);
      await verifier.verify(oldToken);
      await verifier.verify(hsToken);
      expect(isCacheHit(verifier.verify(oldToken))).toBe(true);

      publish([old.jwk], jwksFile); // touched, same keys: the cached token still stands
      expect(isCacheHit(verifier.verify(oldToken))).toBe(true);

      publish([next.jwk], jwksFile);
      await expect(verifier.verify(oldToken)).rejects.toThrow('token signed by an unknown key');
      expect((await verifier.verify(await next.sign({ subject: 'bob' }))).subject).toBe('bob');
      expect(isCacheHit(verifier.verify(hsToken))).toBe(true); // the HS256 secret did not change
    },
  );

  test('while the file cannot be read or parsed, cached tokens are refused; the same keys back again are accepted', async () => {
    const signer = await asymmetricSigner('RS256', 'rsa-1');
    const jwksFile = writeJwks([signer.jwk]);
    const verifier = createJwtVerifier({ ...base, jwksFile });
    const token = await signer.sign();
    await verifier.verify(token);
    expect(isCacheHit(verifier.verify(token))).toBe(true);
    writeFileSync(jwksFile, '{"keys": [');
    utimesSync(jwksFile, mtime, mtime);
    mtime += 10;
    await expect(verifier.verify(token)).rejects.toThrow('token invalid');
    rmSync(jwksFile);
    await expect(verifier.verify(token)).rejects.toThrow('token invalid');
    publish([signer.jwk], jwksFile);
    expect((await verifier.verify(token)).subject).toBe('alice');
    expect(isCacheHit(verifier.verify(token))).toBe(true);
  });
});

describe('a JWKS URL', () => {
  let server: Server | undefined;
  afterEach(() => {
    vi.useRealTimers();
    server?.close();
  });

  async function serve(keys: () => JWK[]) {
    let fetches = 0;
    server = createServer((_, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys() }));
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server?.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
    return { url, fetches: () => fetches };
  }

  test('refetched with different keys ends the cached tokens of the removed key; an unchanged refetch keeps them', async () => {
    const old = await asymmetricSigner('RS256', 'rsa-old');
    const next = await asymmetricSigner('ES256', 'ec-new');
    let published = [old.jwk];
    const jwks = await serve(() => published);
    // jose judges the set's freshness by Date.now(): a faked Date (timers stay real) moves it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const cacheMs = 600_000;
    const verifier = createJwtVerifier({ ...base, jwksUrl: jwks.url, jwksCacheMs: cacheMs });
    const [alice, bob] = [await old.sign({ subject: 'alice' }), await old.sign({ subject: 'bob' })];
    const stale = () => vi.setSystemTime(Date.now() + cacheMs + 1);
    await verifier.verify(alice);
    await verifier.verify(bob);
    expect(isCacheHit(verifier.verify(alice))).toBe(true);
    expect(jwks.fetches()).toBe(1);

    // Stale: alice's call refetches the same keys, after which bob's cached entry still stands.
    stale();
    const checkedAgain = verifier.verify(bob); // not vouched for by a stale set…
    expect(isCacheHit(checkedAgain)).toBe(false);
    await checkedAgain;
    stale();
    expect((await verifier.verify(alice)).subject).toBe('alice');
    expect(jwks.fetches()).toBe(3);
    expect(isCacheHit(verifier.verify(alice))).toBe(true);

    // The refetch brings only a new key: cached tokens of the removed one are refused.
    await verifier.verify(bob);
    expect(isCacheHit(verifier.verify(bob))).toBe(true);
    published = [next.jwk];
    stale();
    await expect(verifier.verify(alice)).rejects.toThrow('token signed by an unknown key');
    expect(jwks.fetches()).toBe(4);
    const refused = verifier.verify(bob);
    expect(isCacheHit(refused)).toBe(false);
    await expect(refused).rejects.toThrow('token signed by an unknown key');
    expect((await verifier.verify(await next.sign({ subject: 'carol' }))).subject).toBe('carol');
  });
});
