// Orders calling two real catalog servers behind one target (a static address list, as a
// Kubernetes headless Service resolves to one address per pod): with catalog.remote.loadBalancing
// round_robin (the default) the calls spread over both, counted on each catalog's own /metrics;
// with pick_first one catalog gets them all — what a plain ClusterIP Service would do to gRPC.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type Clients } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { sample, scrape } from '../support/scrape.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let catalogs: TestApp[];

beforeAll(async () => {
  catalogs = await Promise.all(
    [1, 2].map((n) => startTestApp({ config: { service: { name: `catalog-${n}` }, services: { orders: false } } })),
  );
});

afterAll(async () => {
  await Promise.all(catalogs.map((c) => c.stop()));
});

/** BatchGetProducts calls each catalog has answered, from its own metrics. */
async function servedByEach(): Promise<number[]> {
  return Promise.all(
    catalogs.map(
      async (c) =>
        sample((await scrape(c.adminUrl)).text, 'grpc_server_handled_total', { grpc_method: 'BatchGetProducts', grpc_code: 'OK' }) ?? 0,
    ),
  );
}

const target = () => `ipv4:${catalogs.map((c) => c.grpcAddress).join(',')}`;

async function startOrders(loadBalancing?: string): Promise<{ orders: TestApp; api: Clients }> {
  const remote = { address: target(), ...(loadBalancing === undefined ? {} : { loadBalancing }) };
  const orders = await startTestApp({ config: { service: { name: 'orders' }, services: { catalog: false }, catalog: { remote } } });
  return { orders, api: connect(orders.grpcAddress) };
}

let calls = 0;
/** One CreateOrder for a product no catalog has: never cached, so each makes one remote call. */
async function orderUnknownProduct(api: Clients): Promise<void> {
  calls += 1;
  const error = await failure(api.orders.createOrder({ customerId: 'lb', items: [{ productId: `absent-${calls}`, quantity: 1 }] }));
  expect(error.code).toBe('INVALID_ARGUMENT');
}

const minus = (after: number[], before: number[]) => after.map((n, i) => n - (before[i] ?? 0));

describe('catalog.remote.loadBalancing', () => {
  test('round_robin (the default) sends calls to every catalog behind the target, in turn', async () => {
    const { orders, api } = await startOrders();
    try {
      // Until both connections are ready round robin uses the ready one; wait for both to have
      // answered once (bounded: a hang or a policy that never spreads fails here).
      const start = await servedByEach();
      for (let i = 0; i < 100; i++) {
        await orderUnknownProduct(api);
        if (minus(await servedByEach(), start).every((n) => n > 0)) break;
      }
      const warmed = await servedByEach();
      expect(minus(warmed, start).every((n) => n > 0)).toBe(true);

      for (let i = 0; i < 10; i++) await orderUnknownProduct(api);
      expect(minus(await servedByEach(), warmed)).toEqual([5, 5]);
    } finally {
      api.close();
      await orders.stop();
    }
  });

  test('pick_first keeps one connection: one catalog answers every call', async () => {
    const { orders, api } = await startOrders('pick_first');
    try {
      const before = await servedByEach();
      for (let i = 0; i < 10; i++) await orderUnknownProduct(api);
      expect(minus(await servedByEach(), before).sort((a, b) => a - b)).toEqual([0, 10]);
    } finally {
      api.close();
      await orders.stop();
    }
  });

  test('an unknown policy is a configuration error naming the key', async () => {
    await expect(startOrders('least_request')).rejects.toThrow(/catalog\.remote\.loadBalancing/);
  });
});
