// /metrics over real gRPC traffic: gRPC, runtime and business series, OpenMetrics exemplars,
// and a live scrape that promtool accepts.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OrderStatus } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { AsyncQueue, reader } from '../support/async-queue.js';
import { connect, type Clients } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { sample, scrape } from '../support/scrape.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { startTraceCollector } from '../support/trace-collector.js';
import { until } from '../support/until.js';

let app: TestApp;
let api: Clients;
let collector: Awaited<ReturnType<typeof startTraceCollector>>;

beforeAll(async () => {
  collector = await startTraceCollector(); // sampled traces make exemplars
  app = await startTestApp({ store: 'embedded', config: { tracing: { exporters: [{ kind: 'otlp', endpoint: collector.otlpEndpoint }] } } });
  api = connect(app.grpcAddress);
});

afterAll(async () => {
  api.close();
  await app.stop();
  await collector.close();
});

const orders = (method: string, extra: Record<string, string> = {}) => ({
  grpc_service: 'orderflow.orders.v1.OrderService',
  grpc_method: method,
  ...extra,
});

describe('gRPC server metrics', () => {
  test('every method and code exists at zero before any call', async () => {
    const { text } = await scrape(app.adminUrl);
    expect(sample(text, 'grpc_server_handled_total', orders('TrackOrders', { grpc_type: 'bidi_stream', grpc_code: 'DataLoss' }))).toBe(0);
    expect(
      sample(
        text,
        'grpc_server_handling_seconds_count',
        orders('ImportOrders', { grpc_type: 'client_stream', grpc_code: 'Unauthenticated' }),
      ),
    ).toBe(0);
    expect(
      sample(text, 'grpc_server_started_total', {
        grpc_service: 'grpc.health.v1.Health',
        grpc_method: 'Watch',
        grpc_type: 'server_stream',
      }),
    ).toBe(0);
  });

  test('count calls by code with Go CamelCase names, messages per stream, and latency', async () => {
    const before = (await scrape(app.adminUrl)).text;
    const ok = sample(before, 'grpc_server_handled_total', orders('CreateOrder', { grpc_code: 'OK' })) ?? 0;
    await api.orders.createOrder({ customerId: 'm1', items: [{ productId: 'cup', quantity: 1 }] });
    await failure(api.orders.createOrder({ customerId: '', items: [] }));
    await failure(api.orders.getOrder({ id: '01890000-0000-7000-8000-000000000000' }));
    async function* three() {
      for (let i = 0; i < 3; i++)
        yield { order: { customerId: 'm2', items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: `m-${i}` } };
    }
    await api.orders.importOrders(three());
    const { text } = await scrape(app.adminUrl);
    expect(sample(text, 'grpc_server_handled_total', orders('CreateOrder', { grpc_type: 'unary', grpc_code: 'OK' }))).toBe(ok + 1);
    expect(sample(text, 'grpc_server_handled_total', orders('CreateOrder', { grpc_code: 'InvalidArgument' }))).toBe(1);
    expect(sample(text, 'grpc_server_handled_total', orders('GetOrder', { grpc_code: 'NotFound' }))).toBe(1);
    expect(sample(text, 'grpc_server_msg_received_total', orders('ImportOrders', { grpc_type: 'client_stream' }))).toBe(3);
    expect(sample(text, 'grpc_server_msg_sent_total', orders('ImportOrders'))).toBe(1);
    expect(sample(text, 'grpc_server_handling_seconds_count', orders('GetOrder', { grpc_code: 'NotFound' }))).toBe(1);
    expect(sample(text, 'grpc_server_handling_seconds_bucket', orders('GetOrder', { grpc_code: 'NotFound', le: '+Inf' }))).toBe(1);
  });

  test('open streams and in-flight calls are gauges that return to zero', async () => {
    const abort = new AbortController();
    const watch = reader(api.orders.watchOrders({ customerId: 'nobody' }, { signal: abort.signal }));
    const requests = new AsyncQueue<never>();
    const importing = api.orders.importOrders(requests);
    // Both calls reach the server some time after they are made, and end there after the client
    // is done: wait for the gauges to move, with nothing else that could move them.
    const gauges = async () => {
      const text = (await scrape(app.adminUrl)).text;
      return {
        watches: sample(text, 'grpc_server_streams_open', orders('WatchOrders')),
        imports: sample(text, 'grpc_server_calls_in_flight', orders('ImportOrders')),
        cancelled: sample(text, 'grpc_server_handled_total', orders('WatchOrders', { grpc_code: 'Canceled' })),
      };
    };
    await until('both calls are counted as open', async () => (await gauges()).watches === 1 && (await gauges()).imports === 1);
    abort.abort();
    requests.end();
    await importing;
    await watch.end();
    await until(
      'both gauges are back to zero',
      async () => JSON.stringify(await gauges()) === JSON.stringify({ watches: 0, imports: 0, cancelled: 1 }),
    ).catch(() => {});
    expect(await gauges()).toEqual({ watches: 0, imports: 0, cancelled: 1 });
  });
});

describe('business and runtime metrics', () => {
  test('orders, amounts, transitions, imports, cache and store connections', async () => {
    const before = (await scrape(app.adminUrl)).text;
    const eur = sample(before, 'orderflow_orders_created_total', { currency: 'EUR' }) ?? 0;
    const { order } = await api.orders.createOrder({ customerId: 'biz', items: [{ productId: 'espresso', quantity: 2 }] });
    await api.orders.updateOrderStatus({ id: order!.id, status: OrderStatus.ORDER_STATUS_PAID });
    await api.orders.getOrder({ id: order!.id });
    const { text } = await scrape(app.adminUrl);
    expect(sample(text, 'orderflow_orders_created_total', { currency: 'EUR' })).toBe(eur + 1);
    expect(sample(text, 'orderflow_order_amount_minor_bucket', { currency: 'EUR', le: '2500' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'orderflow_order_status_transitions_total', { from: 'PENDING', to: 'PAID' })).toBe(1);
    expect(sample(text, 'orderflow_order_status_transitions_total', { from: 'SHIPPED', to: 'DELIVERED' })).toBe(0);
    expect(sample(text, 'orderflow_import_items_total', { result: 'created' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'orderflow_cache_requests_total', { cache: 'orders', result: 'hit' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'orderflow_store_connections', { state: 'idle' })).toBe(1);
    expect(sample(text, 'orderflow_build_info', { env: 'dev' })).toBe(1);
    expect(sample(text, 'nodejs_eventloop_active_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_gc_duration_seconds_count', { kind: 'minor' })).toBeDefined();
  });
});

describe('exposition', () => {
  test('OpenMetrics on request, with trace-id exemplars on the latency histogram; Prometheus text otherwise', async () => {
    let traceId = '';
    await api.catalog.getProduct({ id: 'tea' }, { onHeader: (h) => (traceId = h.get('x-trace-id') ?? '') });
    const open = await scrape(app.adminUrl, 'application/openmetrics-text; version=1.0.0');
    expect(open.contentType).toMatch(/^application\/openmetrics-text/);
    expect(open.text.trimEnd().endsWith('# EOF')).toBe(true);
    expect(open.text).toMatch(
      new RegExp(`grpc_server_handling_seconds_bucket\\{[^}]*grpc_method="GetProduct"[^}]*\\} 1 # \\{trace_id="${traceId}"\\}`),
    );
    const plain = await scrape(app.adminUrl);
    expect(plain.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(plain.text).toMatch(/^grpc_server_started_total\{/m); // counter names intact after an OpenMetrics scrape
    expect(plain.text).not.toMatch(/ # \{trace_id=/);
  });

  test('promtool check metrics finds nothing to complain about in a live scrape', async () => {
    await api.catalog.listProducts({});
    const { text } = await scrape(app.adminUrl);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error !== undefined)
      throw new Error(`promtool is not installed: run scripts/install-promtool.sh (${promtool.error.message})`);
    expect(`${promtool.stdout}${promtool.stderr}`.trim()).toBe('');
    expect(promtool.status).toBe(0);
  });
});
