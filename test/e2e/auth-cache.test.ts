// The cache of verified tokens over real gRPC: a token presented again is still checked for
// everything that can change (expiry, key rotation, its signature), for unary and streaming
// calls, with HS256 and with RS256/ES256 from a JWKS file.
import { utimesSync } from 'node:fs';
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type Clients } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { asymmetricSigner, AUDIENCE, hs256Token, ISSUER, randomSecret, writeJwks } from '../support/tokens.js';

const secret = randomSecret();
const READ = ['catalog:read', 'orders:read', 'orders:write'];
let rsa: Awaited<ReturnType<typeof asymmetricSigner>>;
let ec: Awaited<ReturnType<typeof asymmetricSigner>>;
let jwksFile: string;
let app: TestApp;
let api: Clients;

beforeAll(async () => {
  rsa = await asymmetricSigner('RS256', 'rsa-1');
  ec = await asymmetricSigner('ES256', 'ec-1');
  jwksFile = writeJwks([rsa.jwk, ec.jwk]);
  app = await startTestApp({
    env: { TEST_HS256: secret },
    config: {
      auth: {
        enabled: true,
        jwt: {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256', 'RS256', 'ES256'],
          hs256Secret: { fromEnv: 'TEST_HS256' },
          jwksFile,
          leewaySeconds: 0,
          cacheMaxEntries: 100,
        },
      },
      limits: { ratePerSecond: 1000, rateBurst: 1000 },
    },
  });
  api = connect(app.grpcAddress);
});

afterAll(async () => {
  api.close();
  await app.stop();
});

const bearer = (token: string) => ({ metadata: Metadata({ authorization: `Bearer ${token}` }) });
const getCup = async (token: string) => (await api.catalog.getProduct({ id: 'cup' }, bearer(token))).product?.id;

describe('cached tokens over gRPC', () => {
  test('the same token keeps working, for unary and client-streaming calls', async () => {
    const token = await hs256Token(secret, { subject: 'alice', scopes: READ });
    for (let i = 0; i < 5; i++) expect(await getCup(token)).toBe('cup');
    async function* none() {}
    expect((await api.orders.importOrders(none(), bearer(token))).errors).toEqual([]);
    expect((await api.orders.listOrders({}, bearer(token))).orders).toEqual([]);
  });

  test.each(['HS256', 'RS256', 'ES256'] as const)(
    '%s: a bad signature is refused after a good token with the same claims was cached',
    async (alg) => {
      const claims = { subject: 'mallory', scopes: READ };
      const token = alg === 'HS256' ? await hs256Token(secret, claims) : await (alg === 'RS256' ? rsa : ec).sign(claims);
      expect(await getCup(token)).toBe('cup');
      expect(await getCup(token)).toBe('cup');
      const [header, payload, signature = ''] = token.split('.');
      const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      expect(await failure(getCup(forged))).toMatchObject({ code: 'UNAUTHENTICATED', details: 'token signature invalid' });
    },
  );

  test('a token cached while valid is refused once it expires', async () => {
    const expSeconds = Math.floor(Date.now() / 1000) + 4; // leewaySeconds is 0 in this app
    const token = await hs256Token(secret, { scopes: READ, expiresIn: expSeconds });
    expect(await getCup(token)).toBe('cup');
    expect(await getCup(token)).toBe('cup');
    await new Promise((resolve) => setTimeout(resolve, expSeconds * 1000 + 100 - Date.now()));
    expect(await failure(getCup(token))).toMatchObject({ code: 'UNAUTHENTICATED', details: 'token expired' });
  });

  test('a JWKS file rewritten with new keys and the old kids removed ends the cached tokens of the old keys', async () => {
    const [rsaToken, ecToken] = [await rsa.sign({ scopes: READ }), await ec.sign({ scopes: READ })];
    const hsToken = await hs256Token(secret, { scopes: READ });
    for (const token of [rsaToken, ecToken, hsToken, rsaToken, ecToken]) expect(await getCup(token)).toBe('cup');
    const [rsa2, ec2] = [await asymmetricSigner('RS256', 'rsa-2'), await asymmetricSigner('ES256', 'ec-2')];
    writeJwks([rsa2.jwk, ec2.jwk], jwksFile);
    const later = Date.now() / 1000 + 60; // a modification time of its own, without waiting for the clock
    utimesSync(jwksFile, later, later);
    for (const token of [rsaToken, ecToken])
      expect(await failure(getCup(token))).toMatchObject({ code: 'UNAUTHENTICATED', details: 'token signed by an unknown key' });
    expect(await getCup(await rsa2.sign({ scopes: READ }))).toBe('cup');
    expect(await getCup(await ec2.sign({ scopes: READ }))).toBe('cup');
    expect(await getCup(hsToken)).toBe('cup');
  });
});
