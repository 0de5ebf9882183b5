// Health (grpc.health.v1 and the admin listener), reflection, metrics, limits and access logs.
import {
  Client as GrpcClient,
  credentials,
  makeGenericClientConstructor,
  Metadata as GrpcMetadata,
  type ClientDuplexStream,
} from '@grpc/grpc-js';
import { Metadata } from 'nice-grpc';
import { FileDescriptorProto } from 'google-protobuf/google/protobuf/descriptor_pb.js';
import { HealthCheckResponse_ServingStatus } from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import { ServerReflectionService } from 'nice-grpc-server-reflection';
import {
  ServerReflectionRequest,
  type ServerReflectionResponse,
} from 'nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WatchOrdersRequest } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { reader } from '../support/async-queue.js';
import { connect, type Clients } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

let app: TestApp;
let api: Clients;

beforeAll(async () => {
  app = await startTestApp({ config: { grpc: { maxReceiveMessageBytes: 65_536 } } });
  api = connect(app.grpcAddress);
});

afterAll(async () => {
  api.close();
  await app.stop();
});

/** One reflection request over v1 or v1alpha, as grpcurl sends it. */
async function reflect(version: 'v1' | 'v1alpha', request: ServerReflectionRequest): Promise<ServerReflectionResponse> {
  const definition = {
    serverReflectionInfo: {
      ...ServerReflectionService.serverReflectionInfo,
      path: `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
    },
  };
  const Client = makeGenericClientConstructor(definition, 'ServerReflection');
  const client = new Client(app.grpcAddress, credentials.createInsecure());
  try {
    const call = (
      client as unknown as { serverReflectionInfo(): ClientDuplexStream<ServerReflectionRequest, ServerReflectionResponse> }
    ).serverReflectionInfo();
    const response = new Promise<ServerReflectionResponse>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write(request);
    call.end();
    return await response;
  } finally {
    client.close();
  }
}

describe('grpc.health.v1', () => {
  test('Check answers SERVING for the server and each service, NOT_FOUND for unknown ones', async () => {
    expect((await api.health.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await api.health.check({ service: 'orderflow.orders.v1.OrderService' })).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    );
    expect((await failure(api.health.check({ service: 'nope.Service' }))).code).toBe('NOT_FOUND');
  });

  test('Watch sends the current status', async () => {
    const abort = new AbortController();
    const [first] = await reader(api.health.watch({ service: '' }, { signal: abort.signal })).take(1);
    expect(first?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    abort.abort();
  });
});

describe('reflection', () => {
  for (const version of ['v1', 'v1alpha'] as const) {
    test(`${version} lists the services`, async () => {
      const request = new ServerReflectionRequest();
      request.setListServices('*');
      const names = (await reflect(version, request))
        .getListServicesResponse()
        ?.getServiceList()
        .map((s) => s.getName());
      expect(names).toEqual([
        'orderflow.orders.v1.OrderService',
        'orderflow.catalog.v1.CatalogService',
        'orderflow.exports.v1.ExportService',
        'grpc.health.v1.Health',
      ]);
    });
  }

  test('describes a service by symbol, and serves each file it imports (what grpcurl describe does)', async () => {
    const files = async (request: ServerReflectionRequest) =>
      (await reflect('v1', request))
        .getFileDescriptorResponse()
        ?.getFileDescriptorProtoList_asU8()
        .map((bytes) => FileDescriptorProto.deserializeBinary(bytes)) ?? [];
    const bySymbol = new ServerReflectionRequest();
    bySymbol.setFileContainingSymbol('orderflow.orders.v1.OrderService');
    const orders = (await files(bySymbol)).find((f) => f.getName() === 'orderflow/orders/v1/order_service.proto');
    expect(
      orders
        ?.getServiceList()[0]
        ?.getMethodList()
        .map((m) => m.getName()),
    ).toEqual(['CreateOrder', 'GetOrder', 'ListOrders', 'UpdateOrderStatus', 'WatchOrders', 'ImportOrders', 'TrackOrders']);
    expect(orders?.getDependencyList()).toEqual(['google/protobuf/timestamp.proto', 'orderflow/common/v1/money.proto']);
    for (const dependency of orders?.getDependencyList() ?? []) {
      const byName = new ServerReflectionRequest();
      byName.setFileByFilename(dependency);
      expect((await files(byName)).map((f) => f.getName())).toContain(dependency);
    }
  });
});

describe('admin listener', () => {
  test('/health/live, /health/ready and /health report status; /health names each check', async () => {
    expect((await fetch(`${app.adminUrl}/health/live`)).status).toBe(200);
    const ready = await fetch(`${app.adminUrl}/health/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'SERVING' }]);
    const body = (await (await fetch(`${app.adminUrl}/health`)).json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body).toMatchObject({ status: 'SERVING', checks: { store: { ok: true } } });
  });

  test('/metrics serves Node runtime metrics in Prometheus text format', async () => {
    const response = await fetch(`${app.adminUrl}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
    expect(text).not.toMatch(/nodejs_active_handles_total/);
  });

  test('unknown paths are 404', async () => {
    expect((await fetch(`${app.adminUrl}/nope`)).status).toBe(404);
  });
});

describe('limits and access log', () => {
  test('a message above grpc.maxReceiveMessageBytes is RESOURCE_EXHAUSTED and the server keeps serving', async () => {
    const error = await failure(api.orders.createOrder({ customerId: 'x'.repeat(70_000), items: [] }));
    expect(error.code).toBe('RESOURCE_EXHAUSTED');
    expect((await api.catalog.getProduct({ id: 'cup' })).product?.id).toBe('cup');
  });

  test('every finished call is logged once with service, method, code, duration, peer and trace ids', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const metadata = Metadata({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    let trailerTraceId: string | undefined;
    await failure(api.orders.getOrder({ id: 'bad' }, { metadata, onTrailer: (trailer) => (trailerTraceId = trailer.get('x-trace-id')) }));
    expect(trailerTraceId).toBe(traceId); // an error before any message: the id travels in trailers
    const lines = app.logs.filter((l) => l.msg === 'finished call' && l.trace_id === traceId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'orderflow.orders.v1.OrderService',
      method: 'GetOrder',
      type: 'unary',
      code: 'INVALID_ARGUMENT',
      peer: expect.stringMatching(/127\.0\.0\.1/),
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/), // the server's own span, a child of the caller's
      duration_ms: expect.any(Number),
    });
    expect(lines[0]?.span_id).not.toBe('00f067aa0ba902b7');
    expect(typeof lines[0]?.time).toBe('string');
  });

  test('a call without trace context still gets a trace id, in the response header and the log', async () => {
    let headerTraceId: string | undefined;
    await api.catalog.getProduct({ id: 'cup' }, { onHeader: (header) => (headerTraceId = header.get('x-trace-id')) });
    expect(headerTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(app.logs.filter((l) => l.msg === 'finished call' && l.trace_id === headerTraceId)).toHaveLength(1);
  });

  test('log.accessLog: failed logs the calls that did not end OK and no others', async () => {
    const quiet = await startTestApp({ config: { log: { accessLog: 'failed' } } });
    const quietApi = connect(quiet.grpcAddress);
    try {
      expect((await quietApi.catalog.getProduct({ id: 'cup' })).product?.id).toBe('cup');
      expect((await failure(quietApi.catalog.getProduct({ id: 'no-such-product' }))).code).toBe('NOT_FOUND');
      const lines = () => quiet.logs.filter((l) => l.msg === 'finished call' && l.method === 'GetProduct');
      await until('the failed call is logged', () => lines().length > 0);
      expect(lines().map((l) => l.code)).toEqual(['NOT_FOUND']);
    } finally {
      quietApi.close();
      await quiet.stop();
    }
  });

  test('a call past the deadline its client sent (grpc-timeout) ends DEADLINE_EXCEEDED and is logged so', async () => {
    // A plain grpc-js client: it sends grpc-timeout, as Go, Python and Java clients do.
    const client = new GrpcClient(app.grpcAddress, credentials.createInsecure());
    const call = client.makeServerStreamRequest(
      '/orderflow.orders.v1.OrderService/WatchOrders',
      (request: WatchOrdersRequest) => Buffer.from(WatchOrdersRequest.encode(request).finish()),
      (bytes: Buffer) => bytes,
      WatchOrdersRequest.fromPartial({}),
      new GrpcMetadata(),
      { deadline: Date.now() + 300 },
    );
    const status = await new Promise<number>((resolve) =>
      call.on('error', (error: { code: number }) => resolve(error.code)).on('data', () => {}),
    );
    client.close();
    expect(status).toBe(4);
    // The server sees the call end when the client gives up: its line comes after the client's status.
    const logged = () => app.logs.filter((l) => l.method === 'WatchOrders' && l.code === 'DEADLINE_EXCEEDED');
    await until('the expired call is logged', () => logged().length > 0);
    expect(logged()).toHaveLength(1);
  });
});
