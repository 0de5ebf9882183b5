// Calls are admitted from their headers, before any request message is read: a caller without
// credentials is refused while its body is still arriving, streams that never send end, and
// connections that carry no stream are closed.
import { connect as tcpConnect } from 'node:net';
import type { ClientHttp2Session } from 'node:http2';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { closeSession, http2Call, openSession, prefix } from '../support/http2-raw.js';
import { expectIntactAfterAbuse, heapUsed } from './invariants.js';
import { type HostileApp, startHostileApp } from './support.js';

const ORDERS = '/orderflow.orders.v1.OrderService/';
const STREAM_IDLE_MS = 400;
const CONNECTION_IDLE_MS = 500;
const UNAUTHENTICATED = 16;
const DEADLINE_EXCEEDED = 4;

let app: HostileApp;
let auth: Record<string, string>;
let baseline: Awaited<ReturnType<typeof heapUsed>>;

beforeAll(async () => {
  app = await startHostileApp({ streamIdleTimeoutMs: STREAM_IDLE_MS }, { grpc: { maxConnectionIdleMs: CONNECTION_IDLE_MS } });
  auth = { authorization: `Bearer ${app.adminToken}` };
  baseline = await heapUsed(app);
});

afterAll(async () => {
  await app?.stop();
});

/** Idle connections are closed quickly here, so each test makes its own. */
async function withSession<T>(use: (session: ClientHttp2Session) => Promise<T>): Promise<T> {
  const session = await openSession(app.grpcAddress);
  try {
    return await use(session);
  } finally {
    await closeSession(session);
  }
}

describe('admission from the headers', () => {
  test('a call without credentials is refused while its message is still incomplete: its body is not read', async () => {
    // The length prefix announces 32 KiB; only 1 KiB of it is sent, and the stream stays open.
    const partial = Buffer.concat([prefix(0, 32 * 1024), Buffer.alloc(1024, 0x0a)]);
    const outcome = await withSession((session) =>
      http2Call(session, { path: `${ORDERS}CreateOrder`, body: partial, endStream: false, timeoutMs: 20_000 }),
    );
    expect(outcome).toMatchObject({ hung: false, grpcStatus: UNAUTHENTICATED });
    expect(outcome.grpcMessage).toMatch(/missing credentials/);
  });

  test('streams opened without credentials that never send a message all end UNAUTHENTICATED at once', async () => {
    const methods = ['WatchOrders', 'TrackOrders', 'ImportOrders'];
    const outcomes = await withSession((session) =>
      Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          http2Call(session, { path: `${ORDERS}${methods[i % 3] ?? ''}`, body: Buffer.alloc(0), endStream: false, timeoutMs: 20_000 }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o.hung)).toEqual([]);
    expect(new Set(outcomes.map((o) => o.grpcStatus))).toEqual(new Set([UNAUTHENTICATED]));
  });

  test('a bad token is refused from the headers too, for every kind of call', async () => {
    for (const method of ['GetOrder', 'WatchOrders', 'ImportOrders', 'TrackOrders']) {
      const outcome = await withSession((session) =>
        http2Call(session, {
          path: `${ORDERS}${method}`,
          headers: { authorization: 'Bearer not-a-token' },
          body: Buffer.alloc(0),
          endStream: false,
          timeoutMs: 20_000,
        }),
      );
      expect(outcome, method).toMatchObject({ hung: false, grpcStatus: UNAUTHENTICATED });
    }
  });
});

describe('streams without a live caller', () => {
  test('a client stream that sends nothing for limits.streamIdleTimeoutMs ends DEADLINE_EXCEEDED', async () => {
    const outcome = await withSession((session) =>
      http2Call(session, { path: `${ORDERS}ImportOrders`, headers: auth, body: Buffer.alloc(0), endStream: false, timeoutMs: 30_000 }),
    );
    expect(outcome).toMatchObject({ hung: false, grpcStatus: DEADLINE_EXCEEDED });
    expect(outcome.grpcMessage).toMatch(/no request message/);
  });

  test('a bidi stream that sends nothing, and a server stream whose request never comes, end the same way', async () => {
    for (const method of ['TrackOrders', 'WatchOrders']) {
      const outcome = await withSession((session) =>
        http2Call(session, { path: `${ORDERS}${method}`, headers: auth, body: Buffer.alloc(0), endStream: false, timeoutMs: 30_000 }),
      );
      expect(outcome, method).toMatchObject({ hung: false, grpcStatus: DEADLINE_EXCEEDED });
    }
  });
});

describe('connections without a stream', () => {
  test('an HTTP/2 connection that opens no stream is closed after grpc.maxConnectionIdleMs', async () => {
    const idle = await openSession(app.grpcAddress);
    const closed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    await expect(
      Promise.race([closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still open'), 30_000))]),
    ).resolves.toBe('closed');
  });

  test('a TCP connection that never starts HTTP/2 is closed too', async () => {
    const [host, port] = app.grpcAddress.split(':');
    const socket = tcpConnect(Number(port), host);
    socket.on('error', () => {});
    socket.on('data', () => {}); // whatever the server writes (its SETTINGS, a GOAWAY)
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await expect(
      Promise.race([closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still open'), 30_000))]),
    ).resolves.toBe('closed');
    socket.destroy();
  });

  test('the server is intact afterwards', async () => {
    await expectIntactAfterAbuse(app, baseline);
  });
});
