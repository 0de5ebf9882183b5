// cache.kind: redis from configuration, against a password-protected redis-server of this test's
// own: the password is a secret reference (never a literal), reaches Redis, and never the logs;
// a wrong one leaves the service serving from the store, with the cache reported down.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { connect } from '../support/clients.js';
import { OwnRedisServer, uniquePrefix } from '../support/redis.js';
import { sample, scrape } from '../support/scrape.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'redis-secret-9f3a';
const WRONG = 'not-the-password-7c1e';
let redis: OwnRedisServer;

beforeAll(async () => {
  redis = await OwnRedisServer.start(['--requirepass', PASSWORD]);
});

afterAll(async () => {
  await redis.stop();
});

/** The app connects to Redis in the background: wait for it (or a test's first calls would miss). */
async function cacheConnected(app: TestApp): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (sample((await scrape(app.adminUrl)).text, 'orderflow_cache_up', { cache: 'orders' }) !== 1) {
    if (Date.now() > deadline) throw new Error('the cache did not connect');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const redisConfig = (password: Record<string, string>) => ({
  cache: { kind: 'redis', redis: { port: redis.port, keyPrefix: uniquePrefix('config'), password } },
});

describe('configuration', () => {
  test('memory is the default; a literal Redis password is refused without being echoed', () => {
    const base = 'env: dev\ngrpc: { tls: { enabled: false } }\nauth: { enabled: false }\n';
    expect(parseConfig(base, 'x.yaml').cache).toMatchObject({
      kind: 'memory',
      ttlJitterRatio: 0.1,
      redis: { port: 6379, keyPrefix: 'orderflow:', commandTimeoutMs: 250 },
    });
    const literal = () => parseConfig(`${base}cache: { kind: redis, redis: { password: hunter2 } }\n`, 'x.yaml');
    expect(literal).toThrow(/cache\.redis\.password: must be a secret reference/);
    expect(literal).not.toThrow(/hunter2/);
  });
});

test('the password from { fromEnv } opens the cache; it never appears in the logs', async () => {
  const app = await startTestApp({ config: redisConfig({ fromEnv: 'TEST_REDIS_PASSWORD' }), env: { TEST_REDIS_PASSWORD: PASSWORD } });
  const api = connect(app.grpcAddress);
  try {
    await cacheConnected(app);
    const { order } = await api.orders.createOrder({ customerId: 'cfg', items: [{ productId: 'cup', quantity: 1 }] });
    await api.orders.getOrder({ id: order!.id });
    const { text } = await scrape(app.adminUrl);
    expect(sample(text, 'orderflow_cache_requests_total', { cache: 'orders', result: 'hit' })).toBe(1);
    expect(sample(text, 'orderflow_cache_up', { cache: 'orders' })).toBe(1);
    expect(JSON.stringify(app.logs)).not.toContain(PASSWORD);
  } finally {
    api.close();
    await app.stop();
  }
});

test('a wrong password: served from the store, still ready, the cache reported down', async () => {
  const app = await startTestApp({ config: redisConfig({ fromEnv: 'TEST_REDIS_PASSWORD' }), env: { TEST_REDIS_PASSWORD: WRONG } });
  const api = connect(app.grpcAddress);
  try {
    const { order } = await api.orders.createOrder({ customerId: 'cfg', items: [{ productId: 'cup', quantity: 1 }] });
    expect((await api.orders.getOrder({ id: order!.id })).order?.id).toBe(order!.id);
    const report = (await (await fetch(`${app.adminUrl}/health`)).json()) as { status: string; degraded: string[] };
    expect(report).toMatchObject({ status: 'SERVING', degraded: ['cache'] });
    expect(sample((await scrape(app.adminUrl)).text, 'orderflow_cache_up', { cache: 'orders' })).toBe(0);
    const deadline = Date.now() + 30_000;
    while (!app.logs.some((line) => line.msg === 'Redis cache unreachable; retrying in the background')) {
      if (Date.now() > deadline) throw new Error('no warning about the refused connection');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(JSON.stringify(app.logs)).not.toContain(WRONG);
  } finally {
    api.close();
    await app.stop();
  }
});

test('with catalog.remote, products are cached in the same Redis: a second orders replica asks the catalog nothing', async () => {
  const keyPrefix = uniquePrefix('products');
  const catalog = await startTestApp({ config: { services: { orders: false } } });
  const ordersConfig = {
    services: { catalog: false },
    catalog: { remote: { address: catalog.grpcAddress, cacheTtlMs: 60_000 } },
    cache: { kind: 'redis', redis: { port: redis.port, keyPrefix, password: { fromEnv: 'TEST_REDIS_PASSWORD' } } },
  };
  const replicas = [
    await startTestApp({ config: ordersConfig, env: { TEST_REDIS_PASSWORD: PASSWORD } }),
    await startTestApp({ config: ordersConfig, env: { TEST_REDIS_PASSWORD: PASSWORD } }),
  ];
  const remoteCalls = async (app: (typeof replicas)[number]) =>
    sample((await scrape(app.adminUrl)).text, 'grpc_client_handled_total', { grpc_method: 'BatchGetProducts', grpc_code: 'OK' }) ?? 0;
  try {
    for (const replica of replicas) await cacheConnected(replica);
    for (const [i, replica] of replicas.entries()) {
      const api = connect(replica.grpcAddress);
      await api.orders.createOrder({
        customerId: `p${i}`,
        items: [
          { productId: 'espresso', quantity: 1 },
          { productId: 'cup', quantity: 2 },
        ],
      });
      api.close();
    }
    expect(await remoteCalls(replicas[0]!)).toBe(1);
    expect(await remoteCalls(replicas[1]!)).toBe(0);
    expect(sample((await scrape(replicas[1]!.adminUrl)).text, 'orderflow_cache_requests_total', { cache: 'products', result: 'hit' })).toBe(
      2,
    );
  } finally {
    await Promise.all(replicas.map((app) => app.stop()));
    await catalog.stop();
  }
});
