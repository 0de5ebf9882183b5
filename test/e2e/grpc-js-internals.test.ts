// The call pipeline relies on grpc-js behaviour beyond its typed API (listed in
// src/transport/grpc/grpc-js-internals.ts). Each point is checked here against the installed
// grpc-js, so that an upgrade that changes one fails this file rather than production.
import { readFileSync } from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import { createRequire } from 'node:module';
import {
  type ChannelOptions,
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerInterceptingCallInterface,
  status as Status,
} from '@grpc/grpc-js';
import { afterEach, describe, expect, test } from 'vitest';
import {
  asServerInterceptor,
  GRPC_JS_VERSION,
  handlerKind,
  http2ServersOf,
  observeStatuses,
  placeholderHandler,
  stopConnectionTimers,
  trackSessions,
} from '../../src/transport/grpc/grpc-js-internals.js';

const PATH = '/test.Echo/Echo';
const identity = (b: Buffer) => b;
const servers: Server[] = [];
const clients: Client[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.forceShutdown();
});

async function serve(server: Server, path = PATH, kind = handlerKind(false, false)): Promise<number> {
  servers.push(server);
  server.register(path, placeholderHandler, identity, identity, kind);
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, port) => (e === null ? resolve(port) : reject(e))),
  );
}

function call(port: number, body: Buffer, deadlineMs = 5000): Promise<{ code: number; details: string }> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  clients.push(client);
  return new Promise((resolve) => {
    client.makeUnaryRequest(PATH, identity, identity, body, new Metadata(), { deadline: Date.now() + deadlineMs }, (error) => {
      resolve({ code: error?.code ?? Status.OK, details: error?.details ?? '' });
    });
  });
}

type Listener = Parameters<ServerInterceptingCallInterface['start']>[0];

/** A server whose interceptor records every status its calls report (point 2) and listens with `listener`. */
function observingServer(options: ChannelOptions, seen: number[], listener: (base: ServerInterceptingCallInterface) => Partial<Listener>) {
  return new Server({
    ...options,
    interceptors: [
      asServerInterceptor((_descriptor, base) => {
        observeStatuses(base, (s) => seen.push(s.code));
        return {
          ...base,
          start: () =>
            base.start({
              onReceiveMetadata: () => base.startRead(),
              onReceiveMessage: () => {},
              onReceiveHalfClose: () => {},
              onCancel: () => {},
              ...listener(base),
            }),
        };
      }),
    ],
  });
}

describe('grpc-js behaviour the call pipeline relies on', () => {
  test('the installed grpc-js is the version these points were checked against', () => {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(require.resolve('@grpc/grpc-js/package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toBe(GRPC_JS_VERSION);
  });

  test('1. an interceptor returning a plain object runs the whole call; the registered handler is never reached', async () => {
    const server = new Server({
      interceptors: [
        asServerInterceptor((_descriptor, base) => ({
          ...base,
          start: () =>
            base.start({
              onReceiveMetadata: () => base.startRead(),
              onReceiveMessage: (message: Buffer) => base.sendMessage(message, () => base.sendStatus({ code: Status.OK, details: 'OK' })),
              onReceiveHalfClose: () => {},
              onCancel: () => {},
            }),
        })),
      ],
    });
    const port = await serve(server);
    expect(await call(port, Buffer.from('hi'))).toEqual({ code: Status.OK, details: '' });
  });

  test('2. statuses grpc-js sends itself (an oversized message, an expired grpc-timeout) pass through the base call’s sendStatus', async () => {
    const seen: number[] = [];
    const server = observingServer({ 'grpc.max_receive_message_length': 16 }, seen, () => ({}));
    const port = await serve(server);
    expect((await call(port, Buffer.alloc(64))).code).toBe(Status.RESOURCE_EXHAUSTED);
    expect((await call(port, Buffer.alloc(1), 200)).code).toBe(Status.DEADLINE_EXCEEDED);
    await expect.poll(() => seen).toEqual([Status.RESOURCE_EXHAUSTED, Status.DEADLINE_EXCEEDED]);
  });

  test('2. writes that fail because the client went away are a cancel, not a status the client got', async () => {
    const STREAM = '/bench.Internals/Stream';
    const seen: number[] = [];
    let cancelled = false;
    const server = observingServer({}, seen, (base) => ({
      // Far more than HTTP/2 flow control lets through before the client reads: most writes are
      // still pending when the connection goes away.
      onReceiveMessage: () => {
        for (let i = 0; i < 64; i++) base.sendMessage(Buffer.alloc(65_536), () => {});
      },
      onCancel: () => (cancelled = true),
    }));
    const port = await serve(server, STREAM, handlerKind(false, true));
    // The connection goes away mid-stream (a client that dies, or a load generator closing its
    // sessions): the server's stream is destroyed with its writes still pending.
    const session = connectHttp2(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    const stream = session.request({ ':method': 'POST', ':path': STREAM, 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => {});
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x67, 0x6f])); // one gRPC frame: "go"
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    session.destroy();
    await expect.poll(() => cancelled).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100)); // any failed-write status would be seen by now
    expect(seen).toEqual([]);
  });

  test('3. the node:http2 servers are reachable, and their sessions can be tracked', async () => {
    const server = new Server();
    const port = await serve(server);
    expect(http2ServersOf(server)).toHaveLength(1);
    const sessions = trackSessions(server);
    await call(port, Buffer.from('x'));
    expect(sessions.size).toBe(1);
  });

  test('4. the keepalive and connection-age fields exist and are read as numbers', async () => {
    const server = new Server({ 'grpc.keepalive_time_ms': 1000, 'grpc.max_connection_age_grace_ms': 1000 });
    await serve(server);
    const fields = server as unknown as { keepaliveTimeMs: number; maxConnectionAgeGraceMs: number };
    expect(fields.keepaliveTimeMs).toBe(1000);
    expect(fields.maxConnectionAgeGraceMs).toBe(1000);
    stopConnectionTimers(server);
    expect(fields.keepaliveTimeMs).toBe(0);
    expect(fields.maxConnectionAgeGraceMs).toBe(~(1 << 31));
  });
});
