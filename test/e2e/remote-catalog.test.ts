// Orders reaching the catalog over gRPC (two apps in this process): the product cache, retries
// of UNAVAILABLE with backoff, log lines joined to the call's trace, and span ends for streams,
// cancellations and deadlines.
import { randomBytes } from 'node:crypto';
import { Client as GrpcClient, credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CreateOrderRequest, WatchOrdersRequest } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { reader } from '../support/async-queue.js';
import { connect, type Clients } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { sample, scrape } from '../support/scrape.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { type CollectedSpan, startTraceCollector } from '../support/trace-collector.js';
import { randomSecret, sha256 } from '../support/tokens.js';
import { until } from '../support/until.js';

let collector: Awaited<ReturnType<typeof startTraceCollector>>;
let catalog: TestApp;
let orders: TestApp;
let api: Clients;

const tracing = () => ({ exporters: [{ kind: 'zipkin', endpoint: collector.zipkinEndpoint }], batch: { scheduledDelayMs: 100 } });
/** Per-attempt catalog deadline: far above what any call here needs, even on a busy machine. */
const ATTEMPT_MS = 30_000;

/** Resolves once `app` counts one open WatchOrders stream: the server has the call. */
const watchOpen = (app: TestApp) =>
  until(
    'the server has the WatchOrders stream',
    async () => sample((await scrape(app.adminUrl)).text, 'grpc_server_streams_open', { grpc_method: 'WatchOrders' }) === 1,
  );

// orders proves itself to catalog with an API key, as deployed services do.
const serviceKey = `svc_${randomSecret()}`;

beforeAll(async () => {
  collector = await startTraceCollector();
  catalog = await startTestApp({
    env: { ORDERS_KEY_SHA256: sha256(serviceKey) },
    config: {
      service: { name: 'catalog' },
      services: { orders: false },
      tracing: tracing(),
      auth: { enabled: true, apiKeys: [{ subject: 'orders-service', sha256: { fromEnv: 'ORDERS_KEY_SHA256' }, scopes: ['catalog:read'] }] },
    },
  });
  orders = await startTestApp({
    env: { CATALOG_API_KEY: serviceKey },
    config: {
      service: { name: 'orders' },
      services: { catalog: false },
      catalog: {
        remote: { address: catalog.grpcAddress, timeoutMs: ATTEMPT_MS, cacheTtlMs: 60_000, apiKey: { fromEnv: 'CATALOG_API_KEY' } },
      },
      tracing: tracing(),
    },
  });
  api = connect(orders.grpcAddress);
});

afterAll(async () => {
  api.close();
  await orders.stop();
  await catalog.stop();
  await collector.close();
});

const clientCalls = async (app: TestApp, code: string) =>
  sample((await scrape(app.adminUrl)).text, 'grpc_client_handled_total', { grpc_method: 'BatchGetProducts', grpc_code: code }) ?? 0;

test('this process serves only OrderService; prices come from the remote catalog', async () => {
  expect((await failure(api.catalog.getProduct({ id: 'cup' }))).code).toBe('UNIMPLEMENTED');
  const { order } = await api.orders.createOrder({ customerId: 'r1', items: [{ productId: 'tea', quantity: 2 }] });
  expect(order?.total).toEqual({ currencyCode: 'USD', amountMinor: 1800n });
});

test('orders authenticates to the catalog with its API key; a catalog that refuses it is an INTERNAL error, not retried', async () => {
  expect(catalog.logs.some((l) => l.msg === 'finished call' && l.method === 'BatchGetProducts' && l.principal === 'orders-service')).toBe(
    true,
  );
  const keyless = await startTestApp({
    config: { services: { catalog: false }, catalog: { remote: { address: catalog.grpcAddress, timeoutMs: ATTEMPT_MS } } },
  });
  const client = connect(keyless.grpcAddress);
  try {
    expect((await failure(client.orders.createOrder({ customerId: 'k', items: [{ productId: 'cup', quantity: 1 }] }))).code).toBe(
      'INTERNAL',
    );
    expect(await clientCalls(keyless, 'Unauthenticated')).toBe(1);
  } finally {
    client.close();
    await keyless.stop();
  }
});

test("the caller's remaining deadline travels on to the catalog (grpc-timeout), capped by it", async () => {
  const client = new GrpcClient(orders.grpcAddress, credentials.createInsecure());
  const request = CreateOrderRequest.fromPartial({ customerId: 'in-a-hurry', items: [{ productId: 'ghost-product', quantity: 1 }] });
  // A deadline well below the catalog client's own per-attempt one, yet long enough to reach the
  // catalog on a busy machine; the trace id finds this call's line in the catalog's log.
  const traceId = randomBytes(16).toString('hex');
  const metadata = new Metadata();
  metadata.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
  await new Promise<void>((resolve) =>
    client.makeUnaryRequest(
      '/orderflow.orders.v1.OrderService/CreateOrder',
      (r: CreateOrderRequest) => Buffer.from(CreateOrderRequest.encode(r).finish()),
      (bytes: Buffer) => bytes,
      request,
      metadata,
      { deadline: Date.now() + 10_000 },
      () => resolve(),
    ),
  );
  client.close();
  // Absent products are never cached, so this order made a remote call.
  const remoteLine = () => catalog.logs.find((l) => l.msg === 'finished call' && l.method === 'BatchGetProducts' && l.trace_id === traceId);
  await until('the catalog logged the call', () => remoteLine() !== undefined);
  expect(remoteLine()?.deadline_ms).toBeGreaterThan(0);
  expect(remoteLine()?.deadline_ms).toBeLessThanOrEqual(10_000); // not the client's own ATTEMPT_MS
});

test('products are cached: a second order for them makes no remote call', async () => {
  await api.orders.createOrder({ customerId: 'r2', items: [{ productId: 'espresso', quantity: 1 }] });
  const calls = await clientCalls(orders, 'OK');
  await api.orders.createOrder({ customerId: 'r3', items: [{ productId: 'espresso', quantity: 3 }] });
  expect(await clientCalls(orders, 'OK')).toBe(calls);
  expect(
    sample((await scrape(orders.adminUrl)).text, 'orderflow_cache_requests_total', { cache: 'products', result: 'hit' }),
  ).toBeGreaterThanOrEqual(1);
});

test('spans reach a Zipkin endpoint, client span parenting the remote server span', async () => {
  let traceId = '';
  await api.orders.createOrder(
    { customerId: 'r4', items: [{ productId: 'cup', quantity: 1 }] },
    { onHeader: (h) => (traceId = h.get('x-trace-id') ?? '') },
  );
  const isClient = (s: CollectedSpan) =>
    s.traceId === traceId && s.service === 'orders' && s.kind === 'CLIENT' && s.name.endsWith('/BatchGetProducts');
  const isServer = (s: CollectedSpan) => s.traceId === traceId && s.service === 'catalog' && s.kind === 'SERVER';
  const spans = await collector.waitFor((all) => all.some(isClient) && all.some(isServer));
  const client = spans.find(isClient);
  const server = spans.find(isServer);
  expect(client?.via).toBe('zipkin');
  expect(server?.parentSpanId).toBe(client?.spanId);
});

describe('span ends', () => {
  const watchSpans = (service: string) => collector.spans.filter((s) => s.service === service && s.name.endsWith('/WatchOrders'));

  test('a stream the client cancels ends its span CANCELLED, not as a server error', async () => {
    const abort = new AbortController();
    const watch = reader(api.orders.watchOrders({ customerId: 'nobody' }, { signal: abort.signal }));
    await watchOpen(orders);
    abort.abort();
    await watch.end();
    await collector.waitFor(() => watchSpans('orders').length === 1);
    expect(watchSpans('orders')[0]).toMatchObject({ error: false, attributes: { 'rpc.response.status_code': 'CANCELLED' } });
  });

  test('a call past its deadline ends its span DEADLINE_EXCEEDED, an error', async () => {
    const call = grpcJsWatch(orders.grpcAddress, Date.now() + 300);
    expect(await call).toBe(4);
    await collector.waitFor(() => watchSpans('orders').length === 2);
    expect(watchSpans('orders')[1]).toMatchObject({ error: true, attributes: { 'rpc.response.status_code': 'DEADLINE_EXCEEDED' } });
  });

  test('a stream ended by shutdown ends its span OK', async () => {
    const other = await startTestApp({ config: { service: { name: 'stopping' }, tracing: tracing() } });
    const client = connect(other.grpcAddress);
    const watch = reader(client.orders.watchOrders({}));
    await watchOpen(other);
    await other.stop();
    expect(await watch.end()).toBe('done');
    client.close();
    await collector.waitFor(() => watchSpans('stopping').length === 1);
    expect(watchSpans('stopping')[0]).toMatchObject({ error: false, attributes: { 'rpc.response.status_code': 'OK' } });
  });
});

/** WatchOrders from a plain grpc-js client, which sends grpc-timeout; resolves with the status code. */
function grpcJsWatch(address: string, deadline: number): Promise<number> {
  const client = new GrpcClient(address, credentials.createInsecure());
  const call = client.makeServerStreamRequest(
    '/orderflow.orders.v1.OrderService/WatchOrders',
    (request: WatchOrdersRequest) => Buffer.from(WatchOrdersRequest.encode(request).finish()),
    (bytes: Buffer) => bytes,
    WatchOrdersRequest.fromPartial({ customerId: 'nobody' }),
    new Metadata(),
    { deadline },
  );
  return new Promise((resolve) =>
    call
      .on('data', () => {})
      .on('error', (error: { code: number }) => {
        client.close();
        resolve(error.code);
      }),
  );
}

test('UNAVAILABLE is retried with backoff, then reported; retries are logged with the trace id', async () => {
  const lonely = await startTestApp({
    config: { services: { catalog: false }, catalog: { remote: { address: '127.0.0.1:1', maxAttempts: 3, initialBackoffMs: 20 } } },
  });
  const client = connect(lonely.grpcAddress);
  try {
    let traceId = '';
    const error = await failure(
      client.orders.createOrder(
        { customerId: 'x', items: [{ productId: 'cup', quantity: 1 }] },
        { onTrailer: (t) => (traceId = t.get('x-trace-id') ?? '') },
      ),
    );
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.details).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/); // the cause stays in the log
    expect(await clientCalls(lonely, 'Unavailable')).toBe(3);
    const retries = lonely.logs.filter((l) => l.msg === 'catalog call failed; retrying');
    expect(retries.map((l) => l.attempt)).toEqual([1, 2]);
    expect(retries.every((l) => l.trace_id === traceId)).toBe(true);
  } finally {
    client.close();
    await lonely.stop();
  }
});

test('with the catalog stopped, a retry of an existing order (same key) still succeeds; new orders are UNAVAILABLE', async () => {
  const ownCatalog = await startTestApp({ config: { services: { orders: false } } });
  const ownOrders = await startTestApp({
    config: { services: { catalog: false }, catalog: { remote: { address: ownCatalog.grpcAddress, maxAttempts: 1 } } },
  });
  const client = connect(ownOrders.grpcAddress);
  try {
    const request = { customerId: 'retry', items: [{ productId: 'cup', quantity: 2 }], idempotencyKey: 'retry-1' };
    const created = await client.orders.createOrder(request);
    await ownCatalog.stop();
    const retried = await client.orders.createOrder(request);
    expect(retried.order?.id).toBe(created.order?.id);
    expect(retried.order?.total).toEqual(created.order?.total);
    const conflicting = await failure(client.orders.createOrder({ ...request, items: [{ productId: 'cup', quantity: 3 }] }));
    expect(conflicting.code).toBe('ALREADY_EXISTS');
    // A new order needs prices: 'tea' is not in the product cache yet.
    const fresh = { ...request, items: [{ productId: 'tea', quantity: 1 }], idempotencyKey: 'retry-2' };
    expect((await failure(client.orders.createOrder(fresh))).code).toBe('UNAVAILABLE');
  } finally {
    client.close();
    await ownOrders.stop();
    await ownCatalog.stop();
  }
});
