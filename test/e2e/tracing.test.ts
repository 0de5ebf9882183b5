// Traces across two real processes: orders (hosting only OrderService) calls catalog (hosting
// only CatalogService) over gRPC; both export spans over OTLP/HTTP to an in-test collector.
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect, type Clients } from '../support/clients.js';
import { freshEmbeddedDataDir } from '../support/embedded-template.js';
import { startServerProcess } from '../support/server-process.js';
import { testConfigDocument } from '../support/test-app.js';
import { type CollectedSpan, startTraceCollector } from '../support/trace-collector.js';

let collector: Awaited<ReturnType<typeof startTraceCollector>>;
let catalog: Awaited<ReturnType<typeof startServerProcess>>;
let orders: Awaited<ReturnType<typeof startServerProcess>>;
let api: Clients;
const cleanups: (() => void)[] = [];

function processConfig(name: string, dataDir: string, overrides: Record<string, unknown>): string {
  return testConfigDocument(
    { kind: 'embedded', dataDir },
    {
      service: { name },
      log: { level: 'info' },
      tracing: {
        sampleRatio: 1,
        exporters: [{ kind: 'otlp', protocol: 'http', endpoint: collector.otlpEndpoint }],
        batch: { scheduledDelayMs: 100 },
      },
      ...overrides,
    },
  );
}

beforeAll(async () => {
  collector = await startTraceCollector();
  const catalogData = await freshEmbeddedDataDir();
  const ordersData = await freshEmbeddedDataDir();
  cleanups.push(catalogData.cleanup, ordersData.cleanup);
  catalog = await startServerProcess(processConfig('catalog', catalogData.dataDir, { services: { orders: false, catalog: true } }));
  orders = await startServerProcess(
    processConfig('orders', ordersData.dataDir, {
      services: { orders: true, catalog: false },
      catalog: { remote: { address: catalog.grpcAddress, timeoutMs: ATTEMPT_MS } },
    }),
  );
  api = connect(orders.grpcAddress);
});

afterAll(async () => {
  api.close();
  for (const server of [orders, catalog]) {
    server.child.kill('SIGTERM');
    await server.exited;
    server.cleanup();
  }
  await collector.close();
  for (const cleanup of cleanups) cleanup();
});

/** Per-attempt catalog deadline: above what a call needs on a busy machine. */
const ATTEMPT_MS = 30_000;

const byName = (spans: CollectedSpan[], service: string, name: string) => spans.filter((s) => s.service === service && s.name === name);

test('one trace: orders SERVER → orders CLIENT → catalog SERVER → catalog SQL, plus the orders SQL', async () => {
  let traceId = '';
  const { order } = await api.orders.createOrder(
    { customerId: 'traced', items: [{ productId: 'espresso', quantity: 1 }] },
    { onHeader: (header) => (traceId = header.get('x-trace-id') ?? '') },
  );
  expect(order?.total?.amountMinor).toBe(1250n); // priced by the remote catalog
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);

  const arrived = (all: CollectedSpan[], service: string, name: (n: string) => boolean) =>
    all.some((s) => s.traceId === traceId && s.service === service && name(s.name));
  const spans = (
    await collector.waitFor(
      (all) =>
        arrived(all, 'catalog', (n) => n.startsWith('SELECT')) &&
        arrived(all, 'orders', (n) => n.endsWith('/CreateOrder')) &&
        arrived(all, 'orders', (n) => n.endsWith('/BatchGetProducts')),
    )
  ).filter((s) => s.traceId === traceId);
  const [root] = byName(spans, 'orders', 'orderflow.orders.v1.OrderService/CreateOrder');
  const [client] = byName(spans, 'orders', 'orderflow.catalog.v1.CatalogService/BatchGetProducts');
  const [server] = byName(spans, 'catalog', 'orderflow.catalog.v1.CatalogService/BatchGetProducts');
  expect(root).toMatchObject({
    kind: 'SERVER',
    parentSpanId: undefined,
    attributes: { 'rpc.system.name': 'grpc', 'rpc.response.status_code': 'OK' },
  });
  expect(client).toMatchObject({ kind: 'CLIENT', parentSpanId: root?.spanId });
  expect(server).toMatchObject({ kind: 'SERVER', parentSpanId: client?.spanId });
  const catalogSql = spans.filter((s) => s.service === 'catalog' && s.parentSpanId === server?.spanId);
  expect(catalogSql.map((s) => s.name)).toContain('SELECT products');
  expect(catalogSql[0]?.attributes['db.system.name']).toBe('postgresql');
  await collector.waitFor((all) => all.some((s) => s.service === 'orders' && s.traceId === traceId && s.name === 'transaction'));
  const transaction = collector.spans.find((s) => s.service === 'orders' && s.traceId === traceId && s.name === 'transaction');
  expect(transaction?.parentSpanId).toBe(root?.spanId);
  expect(collector.spans.filter((s) => s.parentSpanId === transaction?.spanId).map((s) => s.name)).toContain('INSERT orders');
});

test('a log line names the trace; the caller’s traceparent is continued; the deadline travels on', async () => {
  const callerTrace = '0af7651916cd43dd8448eb211c80319c';
  const metadata = Metadata({ traceparent: `00-${callerTrace}-b7ad6b7169203331-01` });
  await api.orders.createOrder({ customerId: 'traced-2', items: [{ productId: 'cup', quantity: 1 }] }, { metadata });
  const line = await orders.output.waitFor((l) => l.msg === 'finished call' && l.method === 'CreateOrder' && l.trace_id === callerTrace);
  const spans = await collector.waitFor(
    (all) => all.some((s) => s.traceId === line.trace_id && s.service === 'catalog') && all.some((s) => s.spanId === line.span_id),
  );
  const root = spans.find((s) => s.spanId === line.span_id);
  expect(root).toMatchObject({ service: 'orders', parentSpanId: 'b7ad6b7169203331' });
  // orders called catalog with its own per-attempt timeout (catalog.remote.timeoutMs) as grpc-timeout.
  const remote = await catalog.output.waitFor((l) => l.msg === 'finished call' && l.trace_id === callerTrace);
  expect(remote.deadline_ms).toBeGreaterThan(0);
  expect(remote.deadline_ms).toBeLessThanOrEqual(ATTEMPT_MS);
});

test('a stream that replays the log reads every page inside its own span, not only the first', async () => {
  // More events than one replay page (256), so the handler reads the log again after it has
  // already sent messages: the reads must still be children of the stream's server span.
  const metadata = Metadata({ traceparent: '00-6e0c63257de34c926f9efcd03927272e-00f067aa0ba902b7-01' });
  for (let i = 0; i < 30; i++)
    await Promise.all(
      Array.from({ length: 10 }, (_, j) =>
        api.orders.createOrder({ customerId: `replay-${i}-${j}`, items: [{ productId: 'cup', quantity: 1 }] }),
      ),
    );
  const controller = new AbortController();
  let received = 0;
  try {
    for await (const _ of api.orders.watchOrders({ afterSequence: 0n }, { metadata, signal: controller.signal })) {
      if (++received === 300) controller.abort();
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  const isStream = (s: CollectedSpan) => s.service === 'orders' && s.name === 'orderflow.orders.v1.OrderService/WatchOrders';
  const spans = await collector.waitFor((all) => all.some((s) => isStream(s) && s.traceId === '6e0c63257de34c926f9efcd03927272e'));
  const stream = spans.find((s) => isStream(s) && s.traceId === '6e0c63257de34c926f9efcd03927272e');
  const reads = collector.spans.filter((s) => s.parentSpanId === stream?.spanId && s.name.startsWith('SELECT'));
  expect(reads.length).toBeGreaterThanOrEqual(2);
});
