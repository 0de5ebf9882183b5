// Broken gRPC framing at the HTTP/2 level, stalled requests and many idle connections. The server
// must answer each broken request with a status or a stream reset, and keep serving everyone else.
import type { ClientHttp2Session } from 'node:http2';
import { Metadata } from 'nice-grpc';
import { HealthCheckResponse_ServingStatus } from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GetProductRequest } from '../../src/gen/orderflow/catalog/v1/catalog_service.js';
import { type Clients, connect } from '../support/clients.js';
import { closeSession, http2Call, type Http2Outcome, openSession, prefix } from '../support/http2-raw.js';
import { expectIntactAfterAbuse, heapUsed } from './invariants.js';
import { leaksInternals } from './raw-calls.js';
import { type HostileApp, PATIENT_MS, startHostileApp } from './support.js';

const GET_PRODUCT = '/orderflow.catalog.v1.CatalogService/GetProduct';
const IMPORT_ORDERS = '/orderflow.orders.v1.OrderService/ImportOrders';
const VALID = Buffer.from(GetProductRequest.encode({ id: 'cup' }).finish());
/** Short, so that the test of a request whose body never comes stays quick. */
const DEFAULT_DEADLINE_MS = 500;

/** One length-prefixed gRPC message. */
const message = (bytes: Buffer, flag = 0) => Buffer.concat([prefix(flag, bytes.length), bytes]);

let app: HostileApp;
let api: Clients;
let session: ClientHttp2Session;
let auth: Record<string, string>;
let baseline: Awaited<ReturnType<typeof heapUsed>>;

beforeAll(async () => {
  app = await startHostileApp({ defaultDeadlineMs: DEFAULT_DEADLINE_MS });
  api = connect(app.grpcAddress);
  session = await openSession(app.grpcAddress);
  auth = { authorization: `Bearer ${app.adminToken}` };
  baseline = await heapUsed(app);
});

afterAll(async () => {
  if (session !== undefined) await closeSession(session);
  api?.close();
  await app?.stop();
});

/** Ended with a non-OK, non-UNKNOWN gRPC status that leaks nothing, or with a stream reset. */
function expectRefused(outcome: Http2Outcome): void {
  expect(outcome.hung, 'the server neither answered nor reset the stream').toBe(false);
  if (outcome.grpcStatus === undefined) {
    expect(outcome.rstCode, `no grpc-status and no reset (HTTP ${outcome.httpStatus})`).not.toBe(0);
    return;
  }
  expect(outcome.grpcStatus).not.toBe(0);
  expect(outcome.grpcStatus).not.toBe(2);
  expect(leaksInternals(outcome.grpcMessage), outcome.grpcMessage).toBe(false);
}

/** The same session and a fresh client both still get answers. */
async function expectServing(): Promise<void> {
  const valid = await http2Call(session, { path: GET_PRODUCT, headers: auth, body: message(VALID) });
  expect(valid.grpcStatus).toBe(0);
  const metadata = Metadata(auth);
  expect((await api.catalog.getProduct({ id: 'cup' }, { metadata, deadline: PATIENT_MS })).product?.id).toBe('cup');
}

/**
 * `answered`: any status will do. grpc-js, not this service, decides these, and it departs from
 * the gRPC spec: a compressed flag with identity encoding, or one other than 0 and 1, is read as
 * uncompressed (the spec says INTERNAL); a client stream ending inside a message is a half-close.
 */
type Case = { name: string; path?: string; headers?: Record<string, string>; body: Buffer; answered?: true };

const CASES: Case[] = [
  { name: 'a prefix announcing 100 bytes followed by 10', body: Buffer.concat([prefix(0, 100), VALID.subarray(0, 10)]) },
  { name: 'a prefix announcing 60000 bytes followed by none', body: prefix(0, 60_000) },
  { name: 'half a prefix', body: prefix(0, 5).subarray(0, 3) },
  { name: 'a prefix announcing 4 GiB', body: message(VALID).fill(0xff, 1, 5) },
  { name: 'compressed-flag=1 without grpc-encoding', body: message(VALID, 1), answered: true },
  { name: 'compressed-flag=1, grpc-encoding gzip, not gzip', headers: { 'grpc-encoding': 'gzip' }, body: message(VALID, 1) },
  { name: 'grpc-encoding of an unknown algorithm', headers: { 'grpc-encoding': 'zstd-hostile' }, body: message(VALID, 1) },
  { name: 'a compressed flag of 7', body: message(VALID, 7), answered: true },
  { name: 'garbage before the prefix', body: Buffer.concat([Buffer.from('GARBAGE!'), message(VALID)]) },
  { name: 'no message at all on a unary method', body: Buffer.alloc(0) },
  { name: 'two messages on a unary method', body: Buffer.concat([message(VALID), message(VALID)]) },
  {
    name: 'a truncated second message on a client stream',
    path: IMPORT_ORDERS,
    body: Buffer.concat([prefix(0, 0), prefix(0, 50), Buffer.alloc(5)]),
    answered: true,
  },
];

describe('broken gRPC framing over raw HTTP/2', () => {
  for (const { name, path, headers, body, answered } of CASES) {
    test(`${name}: ${answered === true ? 'a status' : 'refused'}, and the server keeps serving`, async () => {
      const outcome = await http2Call(session, { path: path ?? GET_PRODUCT, headers: { ...auth, ...headers }, body });
      if (answered === true) {
        expect(outcome.hung || outcome.grpcStatus === undefined, JSON.stringify(outcome)).toBe(false);
        expect(outcome.grpcStatus).not.toBe(2);
      } else expectRefused(outcome);
      await expectServing();
    });
  }

  test('a content-type other than application/grpc is refused at the HTTP level', async () => {
    const outcome = await http2Call(session, { path: GET_PRODUCT, headers: { ...auth, 'content-type': 'text/plain' }, body: VALID });
    expect(outcome.hung).toBe(false);
    expect(outcome.httpStatus === 415 || outcome.rstCode !== 0 || (outcome.grpcStatus ?? 0) !== 0).toBe(true);
    await expectServing();
  });
});

describe('stalled requests and idle connections', () => {
  test('100 requests that never send their body do not hold up other callers', async () => {
    // Streams get no default deadline: these stay open until the test drops their connection, so
    // other callers are served while all 100 are still stalled, however slow the machine.
    const stalling = await openSession(app.grpcAddress);
    let ended = 0;
    const stalled = Array.from({ length: 100 }, () =>
      http2Call(stalling, { path: IMPORT_ORDERS, headers: auth, body: prefix(0, 40), endStream: false, timeoutMs: 600_000 }).finally(
        () => ended++,
      ),
    );
    await expectServing();
    expect(ended, 'a stalled request ended before the others were served').toBe(0);
    stalling.destroy();
    await Promise.all(stalled);
  });

  test('a unary request whose body never comes is ended by the default deadline', async () => {
    const outcome = await http2Call(session, {
      path: GET_PRODUCT,
      headers: auth,
      body: prefix(0, 40),
      endStream: false,
      timeoutMs: PATIENT_MS,
    });
    expect(outcome.hung, `still open ${PATIENT_MS} ms later, limits.defaultDeadlineMs is ${DEFAULT_DEADLINE_MS}`).toBe(false);
    expect(outcome.grpcStatus === 4 || outcome.rstCode !== 0, JSON.stringify(outcome)).toBe(true);
  });

  test('200 idle HTTP/2 connections leave health and CreateOrder serving, and are not dropped', async () => {
    const sessions = await Promise.all(Array.from({ length: 200 }, () => openSession(app.grpcAddress)));
    try {
      expect((await api.health.check({ service: '' }, { deadline: PATIENT_MS })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      const metadata = Metadata(auth);
      const created = await api.orders.createOrder(
        { customerId: 'idle-check', items: [{ productId: 'espresso', quantity: 1 }] },
        { metadata, deadline: PATIENT_MS },
      );
      expect(created.order?.version).toBe(1n);
      expect(sessions.filter((s) => s.closed || s.destroyed)).toHaveLength(0);
    } finally {
      await Promise.all(sessions.map(closeSession));
    }
  });

  test('the server is intact afterwards: health, a real order, heap, whole orders, gap-free events', async () => {
    await expectIntactAfterAbuse(app, baseline);
  });
});
