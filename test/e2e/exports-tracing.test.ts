// An export job's run is traced and logged: one CONSUMER span per attempt, linked to the trace of
// the ExportOrders call (its context was stored with the job), and log lines with the job id,
// the run's trace id and the request's.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ExportFormat } from '../../src/gen/orderflow/exports/v1/export_service.js';
import { connect, type Clients } from '../support/clients.js';
import { watchToEnd } from '../support/exports.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { startTraceCollector } from '../support/trace-collector.js';

let collector: Awaited<ReturnType<typeof startTraceCollector>>;
let app: TestApp;
let api: Clients;

beforeAll(async () => {
  collector = await startTraceCollector();
  app = await startTestApp({
    store: 'embedded',
    config: {
      tracing: {
        sampleRatio: 1,
        exporters: [{ kind: 'otlp', protocol: 'http', endpoint: collector.otlpEndpoint }],
        batch: { scheduledDelayMs: 100 },
      },
    },
  });
  api = connect(app.grpcAddress);
  await api.orders.createOrder({ customerId: 'traced', items: [{ productId: 'espresso', quantity: 1 }], idempotencyKey: '' });
});

afterAll(async () => {
  api.close();
  await app.stop();
  await collector.close();
});

test('the run has its own span linked to the ExportOrders trace; its log lines carry the job id and both trace ids', async () => {
  let requestTraceId = '';
  const { job } = await api.exports.exportOrders(
    { customerId: 'traced', status: 0, format: ExportFormat.EXPORT_FORMAT_CSV, idempotencyKey: '' },
    { onHeader: (header) => (requestTraceId = header.get('x-trace-id') ?? '') },
  );
  expect(requestTraceId).toMatch(/^[0-9a-f]{32}$/);
  await watchToEnd(api, job!.id);
  const spans = await collector.waitFor((all) =>
    all.some((s) => s.name === 'orderflow.exports.v1/RunExportJob' && s.attributes['orderflow.export.job_id'] === job!.id),
  );
  const run = spans.find((s) => s.name === 'orderflow.exports.v1/RunExportJob' && s.attributes['orderflow.export.job_id'] === job!.id)!;
  expect(run.kind).toBe('CONSUMER');
  expect(run.linkedTraceIds).toEqual([requestTraceId]);
  expect(run.attributes['orderflow.export.outcome']).toBe('succeeded');
  // The run's queries are children of its span.
  await collector.waitFor((all) => all.some((s) => s.traceId === run.traceId && s.parentSpanId === run.spanId));
  const done = app.logs.find((l) => l.msg === 'export job succeeded' && l.job_id === job!.id);
  expect(done).toMatchObject({ trace_id: run.traceId, request_trace_id: requestTraceId, orders: 1 });
});
