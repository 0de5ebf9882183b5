// Authentication and authorization over real gRPC: JWTs (HS256, and RS256/ES256 from a JWKS
// file that is re-read when it changes), API keys, per-method scopes, customer ownership, the
// per-caller rate limit, the import cap, and the default deadline (on PostgreSQL, held by the test).
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { Metadata } from 'nice-grpc';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type Clients } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { POSTGRES, postgresAdmin, serviceAvailable } from '../support/required-services.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { asymmetricSigner, AUDIENCE, hs256Token, ISSUER, randomSecret, sha256, writeJwks } from '../support/tokens.js';

const secret = randomSecret();
const apiKey = `ok_${randomSecret()}`;
const ALL = ['orders:read', 'orders:write', 'catalog:read', 'catalog:write'];
let rsa: Awaited<ReturnType<typeof asymmetricSigner>>;
let ec: Awaited<ReturnType<typeof asymmetricSigner>>;
let jwksFile: string;
let app: TestApp;
let api: Clients;

beforeAll(async () => {
  rsa = await asymmetricSigner('RS256', 'rsa-1');
  ec = await asymmetricSigner('ES256', 'ec-1');
  jwksFile = writeJwks([rsa.jwk]);
  app = await startTestApp({
    env: { TEST_HS256: secret, TEST_API_KEY_SHA256: sha256(apiKey) },
    config: {
      auth: {
        enabled: true,
        jwt: {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256', 'RS256', 'ES256'],
          hs256Secret: { fromEnv: 'TEST_HS256' },
          jwksFile,
          leewaySeconds: 5,
        },
        apiKeys: [{ subject: 'checkout-service', sha256: { fromEnv: 'TEST_API_KEY_SHA256' }, scopes: [...ALL, 'orders:admin'] }],
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
const as = async (subject: string, scopes = ALL) => bearer(await hs256Token(secret, { subject, scopes }));

describe('authentication', () => {
  test('health needs no credentials; everything else does', async () => {
    expect((await api.health.check({ service: '' })).status).toBe(1);
    const error = await failure(api.catalog.getProduct({ id: 'cup' }));
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', details: expect.stringMatching(/missing credentials/) });
  });

  test('an HS256 token with the right issuer, audience and scope is accepted', async () => {
    expect((await api.catalog.getProduct({ id: 'cup' }, await as('alice'))).product?.id).toBe('cup');
  });

  test('RS256 and ES256 tokens verify against the JWKS file, which is re-read when it changes', async () => {
    expect((await api.catalog.getProduct({ id: 'cup' }, bearer(await rsa.sign({ scopes: ['catalog:read'] })))).product?.id).toBe('cup');
    const ecToken = await ec.sign({ scopes: ['catalog:read'] });
    expect((await failure(api.catalog.getProduct({ id: 'cup' }, bearer(ecToken)))).code).toBe('UNAUTHENTICATED');
    await new Promise((resolve) => setTimeout(resolve, 20)); // a new modification time
    writeJwks([rsa.jwk, ec.jwk], jwksFile); // key rotation: publish the new key, no restart
    expect((await api.catalog.getProduct({ id: 'cup' }, bearer(ecToken))).product?.id).toBe('cup');
  });

  test('RS256 tokens also verify against a JWKS URL (fetched once, then cached)', async () => {
    let fetches = 0;
    const jwksServer = createHttpServer((_, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [rsa.jwk] }));
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => jwksServer.once('listening', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/.well-known/jwks.json`;
    const remote = await startTestApp({
      config: { auth: { enabled: true, jwt: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], jwksUrl } } },
    });
    const client = connect(remote.grpcAddress);
    try {
      for (let i = 0; i < 3; i++)
        expect((await client.catalog.getProduct({ id: 'cup' }, bearer(await rsa.sign({ scopes: ['catalog:read'] })))).product?.id).toBe(
          'cup',
        );
      expect(fetches).toBe(1);
      expect(
        (await failure(client.catalog.getProduct({ id: 'cup' }, bearer(await hs256Token(secret, { scopes: ['catalog:read'] }))))).code,
      ).toBe('UNAUTHENTICATED'); // HS256 not allowed here
    } finally {
      client.close();
      await remote.stop();
      jwksServer.close();
    }
  });

  test('each kind of bad token is UNAUTHENTICATED with a reason that reveals nothing secret', async () => {
    const cases: [string, Promise<string>, RegExp][] = [
      ['forged', hs256Token(randomSecret(), { scopes: ALL }), /signature invalid/],
      ['expired', hs256Token(secret, { scopes: ALL, expiresIn: Math.floor(Date.now() / 1000) - 60 }), /expired/],
      ['not yet valid', hs256Token(secret, { scopes: ALL, notBefore: '10m' }), /"nbf"/],
      ['wrong audience', hs256Token(secret, { scopes: ALL, audience: 'someone-else' }), /"aud"/],
      ['wrong issuer', hs256Token(secret, { scopes: ALL, issuer: 'evil' }), /"iss"/],
      ['no subject', hs256Token(secret, { scopes: ALL, subject: undefined as unknown as string }).then((t) => t), /./],
    ];
    for (const [name, token, reason] of cases) {
      const error = await failure(api.catalog.getProduct({ id: 'cup' }, bearer(await token)));
      expect.soft(error.code, name).toBe('UNAUTHENTICATED');
      expect.soft(error.details, name).toMatch(reason);
      expect.soft(error.details, name).not.toContain(secret);
    }
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: 9e9, scope: 'catalog:read' })).toString('base64url')}.`;
    expect(await failure(api.catalog.getProduct({ id: 'cup' }, bearer(none)))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  test('API keys: the right key is accepted, any other refused', async () => {
    const withKey = (key: string) => ({ metadata: Metadata({ 'x-api-key': key }) });
    expect((await api.catalog.getProduct({ id: 'cup' }, withKey(apiKey))).product?.id).toBe('cup');
    expect((await failure(api.catalog.getProduct({ id: 'cup' }, withKey(`${apiKey}x`)))).code).toBe('UNAUTHENTICATED');
  });
});

describe('authorization', () => {
  test("a valid token without the method's scope is PERMISSION_DENIED", async () => {
    const reader = await as('alice', ['catalog:read']);
    const error = await failure(
      api.catalog.upsertProduct({ product: { id: 'x', name: 'X', price: { currencyCode: 'EUR', amountMinor: 1n } } }, reader),
    );
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', details: expect.stringMatching(/catalog:write/) });
    expect((await failure(api.orders.listOrders({}, reader))).code).toBe('PERMISSION_DENIED');
  });

  test("customers see and change only their own orders; an admin scope sees everyone's", async () => {
    const alice = await as('alice');
    const bob = await as('bob');
    const admin = await as('ops', [...ALL, 'orders:admin']);
    const { order } = await api.orders.createOrder({ customerId: 'bob', items: [{ productId: 'cup', quantity: 1 }] }, bob);
    expect((await failure(api.orders.getOrder({ id: order!.id }, alice))).code).toBe('PERMISSION_DENIED');
    expect((await failure(api.orders.createOrder({ customerId: 'bob', items: [{ productId: 'cup', quantity: 1 }] }, alice))).code).toBe(
      'PERMISSION_DENIED',
    );
    expect((await failure(api.orders.listOrders({ customerId: 'bob' }, alice))).code).toBe('PERMISSION_DENIED');
    expect((await api.orders.listOrders({}, bob)).orders.every((o) => o.customerId === 'bob')).toBe(true);
    expect((await api.orders.getOrder({ id: order!.id }, admin)).order?.customerId).toBe('bob');
  });

  test('the access log names the principal', async () => {
    await api.catalog.listProducts({}, await as('carol'));
    expect(app.logs.some((l) => l.msg === 'finished call' && l.method === 'ListProducts' && l.principal === 'carol')).toBe(true);
  });
});

describe('limits', () => {
  let limited: TestApp;
  let client: Clients;

  beforeAll(async () => {
    limited = await startTestApp({
      env: { TEST_HS256: secret },
      config: {
        auth: { enabled: true, jwt: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], hs256Secret: { fromEnv: 'TEST_HS256' } } },
        limits: { ratePerSecond: 1, rateBurst: 3, maxImportItems: 2 },
      },
    });
    client = connect(limited.grpcAddress);
  });

  afterAll(async () => {
    client.close();
    await limited.stop();
  });

  test('an import carries at most maxImportItems: the rest is reported, not read', async () => {
    async function* three() {
      for (let i = 0; i < 3; i++) yield { order: { customerId: 'imp', items: [], idempotencyKey: `k${i}` } };
    }
    const result = await client.orders.importOrders(three(), await as('imp'));
    expect(result.errors.at(-1)).toMatchObject({ index: 2, code: 'RESOURCE_EXHAUSTED' });
  });

  test('past its burst, a caller gets RESOURCE_EXHAUSTED while others still get through', async () => {
    const dave = await as('dave');
    // 20 calls at once against a burst of 3 and 1 token a second: at least 2 are refused unless
    // they take over 15 s to arrive, so a slow machine cannot refill the bucket in time.
    const codes = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.orders.listOrders({}, dave).then(
          () => 'OK',
          (e: { code: number }) => (e.code === 8 ? 'RESOURCE_EXHAUSTED' : String(e.code)),
        ),
      ),
    );
    expect(codes.filter((c) => c !== 'OK' && c !== 'RESOURCE_EXHAUSTED')).toEqual([]);
    expect(codes.filter((c) => c === 'RESOURCE_EXHAUSTED').length).toBeGreaterThanOrEqual(2);
    expect((await client.orders.listOrders({}, await as('erin'))).orders).toEqual([]);
  });
});

// The work beneath the call is held by the test: a PostgreSQL transaction locks every table of
// the store until afterAll, and nothing in the SQL path has a deadline of its own, so the only
// thing that can end the call is the server's default deadline. (A held remote catalog is not
// enough: the outbound call is capped by the same deadline, and its DEADLINE_EXCEEDED, reported
// as UNAVAILABLE, races the server's own timer; measured 4 UNAVAILABLE in 40 calls.)
const postgresUp = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);

describe.skipIf(!postgresUp)('default deadline', () => {
  const database = `orderflow_auth_${randomBytes(4).toString('hex')}`;
  let slow: TestApp;
  let client: Clients;
  let locker: pg.Client;

  beforeAll(async () => {
    await postgresAdmin(`CREATE DATABASE ${database}`);
    slow = await startTestApp({
      env: { TEST_HS256: secret },
      config: {
        store: { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, database, user: POSTGRES.user, migrate: true },
        auth: { enabled: true, jwt: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], hs256Secret: { fromEnv: 'TEST_HS256' } } },
        limits: { defaultDeadlineMs: 400 },
      },
    });
    client = connect(slow.grpcAddress);
    locker = new pg.Client({ ...POSTGRES, database });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE products, orders, order_events, event_sequence IN ACCESS EXCLUSIVE MODE');
  });

  afterAll(async () => {
    await locker?.query('ROLLBACK');
    await locker?.end();
    client?.close();
    await slow?.stop();
    await postgresAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  test('a unary call without a deadline gets the default one: DEADLINE_EXCEEDED, not a hang', async () => {
    const error = await failure(
      client.orders.createOrder({ customerId: 'slow', items: [{ productId: 'cup', quantity: 1 }] }, await as('slow')),
    );
    expect(error.code).toBe('DEADLINE_EXCEEDED'); // a hang would end at the test timeout instead
  });
});
