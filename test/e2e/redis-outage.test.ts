// Redis dying under load, over real gRPC: the app runs with cache.kind: redis against a
// redis-server of this test's own (never the shared one), which is SIGKILLed by its PID while
// clients keep calling, then restarted. No client sees an error, readiness stays SERVING, /health
// and orderflow_cache_up show the cache down then up, and the errors are counted and logged a
// few times, not once per call. Every wait is for a condition; nothing is timed.
import { HealthCheckResponse_ServingStatus } from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OrderStatus } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { connect, type Clients } from '../support/clients.js';
import { OwnRedisServer, uniquePrefix } from '../support/redis.js';
import { sample, scrape } from '../support/scrape.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let redis: OwnRedisServer;
let app: TestApp;
let api: Clients;

beforeAll(async () => {
  redis = await OwnRedisServer.start();
  app = await startTestApp({
    config: { cache: { kind: 'redis', redis: { port: redis.port, keyPrefix: uniquePrefix('outage'), commandTimeoutMs: 200 } } },
  });
  api = connect(app.grpcAddress);
});

afterAll(async () => {
  api.close();
  await app.stop();
  await redis.stop();
});

type Health = { status: string; degraded: string[]; checks: Record<string, { ok: boolean; informational?: boolean }> };
const health = async () => (await (await fetch(`${app.adminUrl}/health`)).json()) as Health;
const metric = async (name: string, labels: Record<string, string>) => sample((await scrape(app.adminUrl)).text, name, labels) ?? 0;

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Clients calling GetOrder (and now and then UpdateOrderStatus) until stopped; every failure is kept. */
function load(ids: string[], workers: number) {
  const state = { running: true, calls: 0, errors: [] as unknown[], notReady: 0 };
  const worker = async (w: number) => {
    for (let i = w; state.running; i += workers) {
      const id = ids[i % ids.length] ?? '';
      try {
        if (i % 25 === 0) await api.orders.updateOrderStatus({ id, status: OrderStatus.ORDER_STATUS_CANCELLED }).catch(expectIllegalOnly);
        await api.orders.getOrder({ id });
        state.calls++;
      } catch (error) {
        state.errors.push(error);
      }
    }
  };
  const readiness = async () => {
    while (state.running) {
      const ready = await fetch(`${app.adminUrl}/health/ready`);
      const grpc = await api.health.check({ service: '' });
      if (!ready.ok || grpc.status !== HealthCheckResponse_ServingStatus.SERVING) state.notReady++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const done = Promise.all([...Array.from({ length: workers }, (_, w) => worker(w)), readiness()]);
  return { state, stop: async () => ((state.running = false), await done) };
}

/** Cancelling an order twice is FAILED_PRECONDITION (code 9): expected; anything else is a failure. */
function expectIllegalOnly(error: unknown): void {
  if ((error as { code?: number }).code !== 9) throw error;
}

test('Redis killed and restarted mid-load: no client error, still ready, /health and metrics tell the story', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const { order } = await api.orders.createOrder({ customerId: `outage-${i}`, items: [{ productId: 'cup', quantity: 1 }] });
    ids.push(order!.id);
  }
  await until(async () => (await metric('orderflow_cache_up', { cache: 'orders' })) === 1, 'the first connection to Redis');
  expect(await health()).toMatchObject({
    status: 'SERVING',
    degraded: [],
    checks: { store: { ok: true }, cache: { ok: true, informational: true } },
  });
  expect(await metric('orderflow_cache_up', { cache: 'orders' })).toBe(1);

  const running = load(ids, 6);
  const hits = () => metric('orderflow_cache_requests_total', { cache: 'orders', result: 'hit' });
  await until(async () => (await hits()) >= 50, 'reads served from Redis');

  await redis.kill();
  const callsAtKill = running.state.calls;
  await until(async () => (await health()).checks.cache?.ok === false, '/health to show the cache down');
  expect(await health()).toMatchObject({
    status: 'SERVING',
    degraded: ['cache'],
    checks: { store: { ok: true }, cache: { ok: false, informational: true } },
  });
  expect(await metric('orderflow_cache_up', { cache: 'orders' })).toBe(0);
  await until(async () => running.state.calls >= callsAtKill + 200, 'calls served while Redis is down');
  const errorsWhileDown = await metric('orderflow_cache_errors_total', { cache: 'orders', operation: 'read', reason: 'unavailable' });
  expect(errorsWhileDown).toBeGreaterThan(0);

  await redis.start();
  await until(async () => (await health()).checks.cache?.ok === true, '/health to show the cache back');
  expect(await metric('orderflow_cache_up', { cache: 'orders' })).toBe(1);
  const hitsAfter = await hits();
  await until(async () => (await hits()) >= hitsAfter + 50, 'reads served from Redis again');
  await running.stop();

  expect(running.state.errors).toEqual([]);
  expect(running.state.notReady).toBe(0);
  const failed = await metric('orderflow_cache_requests_total', { cache: 'orders', result: 'error' });
  expect(failed).toBeGreaterThanOrEqual(errorsWhileDown);
  const warnings = app.logs.filter((line) => line.msg === 'order cache failed; served from the store');
  expect(warnings.length).toBeGreaterThanOrEqual(1);
  expect(warnings.length).toBeLessThan(failed / 10); // throttled: not a line per failed call
  expect(app.logs.some((line) => line.msg === 'Redis cache connection lost; calls go to the store until it is back')).toBe(true);
});
