// Graceful shutdown of the real server process under real signals.
import { afterEach, describe, expect, test } from 'vitest';
import { HealthCheckResponse_ServingStatus } from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import type { ImportOrdersRequest } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { AsyncQueue, reader } from '../support/async-queue.js';
import { connect, type Clients } from '../support/clients.js';
import { freshEmbeddedDataDir } from '../support/embedded-template.js';
import { startServerProcess } from '../support/server-process.js';
import { testConfigDocument } from '../support/test-app.js';
import { until } from '../support/until.js';
import { http2Call, openSession } from '../support/http2-raw.js';
import { sample, scrape } from '../support/scrape.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function start(shutdown: Record<string, number>, overrides: Record<string, unknown> = {}) {
  const { dataDir, cleanup } = await freshEmbeddedDataDir();
  const server = await startServerProcess(
    testConfigDocument({ kind: 'embedded', dataDir }, { shutdown, log: { level: 'info' }, ...overrides }),
  );
  const api = connect(server.grpcAddress);
  cleanups.push(() => {
    api.close();
    server.child.kill('SIGKILL');
    server.cleanup();
    cleanup();
  });
  return { server, api };
}

const item = (i: number): ImportOrdersRequest => ({
  order: { customerId: 'slow', items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: `slow-${i}` },
});

/** An import stream the client keeps open: a call in flight for as long as the test wants. */
function slowImport(api: Clients) {
  const requests = new AsyncQueue<ImportOrdersRequest>();
  const response = api.orders.importOrders(requests);
  response.catch(() => {});
  return { requests, response };
}

/** A call cut at the end of a drain gets UNAVAILABLE (retryable), never CANCELLED or INTERNAL. */
async function codeOf(response: Promise<unknown>): Promise<number | undefined> {
  const error = await response.then(
    () => undefined,
    (e: unknown) => e as { code?: number },
  );
  return error?.code;
}
const UNAVAILABLE = 14;

/**
 * Starts a slow import and resolves once the server is running it: its first item's order event
 * has come out of WatchOrders (a watch the shutdown then ends cleanly).
 */
async function runningImport(api: Clients) {
  const watch = reader(api.orders.watchOrders({ customerId: 'slow' }));
  const slow = slowImport(api);
  slow.requests.push(item(1));
  await watch.take(1);
  return { ...slow, watch };
}

/** Resolves once a new connection's call is refused (UNAVAILABLE): the listener has closed. */
async function refusesNewCalls(address: string): Promise<void> {
  await until('a new call is refused', async () => {
    const fresh = connect(address);
    try {
      return await fresh.catalog.getProduct({ id: 'cup' }, { deadline: 30_000 }).then(
        () => false,
        (error: { code?: number }) => error.code === UNAVAILABLE,
      );
    } finally {
      fresh.close();
    }
  });
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SIGTERM', () => {
  test('ends streams cleanly, lets the in-flight call finish, closes the store and exits 0', async () => {
    const { server, api } = await start({ timeoutMs: 120_000, drainDelayMs: 0 });
    const watch = reader(api.orders.watchOrders({}));
    const health = reader(api.health.watch({ service: '' }));
    expect((await health.take(1))[0]?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const slow = slowImport(api);
    slow.requests.push(item(1));
    await watch.take(1); // the first order's event: the import call is really running

    server.child.kill('SIGTERM');
    expect((await health.take(1))[0]?.status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    expect(await watch.end()).toBe('done'); // ended with OK, not cut off
    await refusesNewCalls(server.grpcAddress); // draining
    slow.requests.push(item(2)); // the slow call keeps going after the signal ...
    slow.requests.end();
    expect(await slow.response).toMatchObject({ created: 2, failed: 0 }); // ... and completes

    const exit = await server.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    const messages = server.output.lines.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
    expect(server.output.lines.find((l) => l.msg === 'stopped')).toMatchObject({
      drain: 'drained',
      calls_cut: 0,
      closed: true,
      exit_code: 0,
    });
  });

  test('refuses new calls once draining', async () => {
    const { server, api } = await start({ timeoutMs: 120_000, drainDelayMs: 0 });
    const slow = await runningImport(api);
    server.child.kill('SIGTERM');
    await server.output.waitFor((l) => l.msg === 'shutting down');
    await refusesNewCalls(server.grpcAddress);
    expect(server.child.exitCode).toBe(null); // still draining: the import is open
    slow.requests.end();
    await slow.response;
    expect((await server.exited).code).toBe(0);
  });

  test('a slow import on a connection older than the keepalive interval is not cut by keepalive pings during the drain', async () => {
    const { server, api } = await start(
      { timeoutMs: 120_000, drainDelayMs: 0 },
      { grpc: { keepaliveTimeMs: 200, keepaliveTimeoutMs: 60_000 } },
    );
    const slow = await runningImport(api);
    await wait(1000); // the connection has seen several keepalive pings
    server.child.kill('SIGTERM');
    await server.output.waitFor((l) => l.msg === 'shutting down');
    for (let i = 2; i <= 6; i++) {
      await wait(300); // more than a keepalive interval between items, while draining
      slow.requests.push(item(i));
    }
    slow.requests.end();
    expect(await slow.response).toMatchObject({ created: 6, failed: 0 });
    expect(await server.exited).toMatchObject({ code: 0 });
  });

  test('calls still running at the shutdown timeout end UNAVAILABLE with an access line; exit 1 says so', async () => {
    const { server, api } = await start({ timeoutMs: 1500, drainDelayMs: 0 });
    const slow = await runningImport(api);
    server.child.kill('SIGTERM');
    expect(await codeOf(slow.response)).toBe(UNAVAILABLE); // the client never ends it: only the timeout can
    const exit = await server.exited;
    expect(exit.code).toBe(1);
    const lines = server.output.lines;
    expect(lines.find((l) => l.msg === 'finished call' && l.method === 'ImportOrders')).toMatchObject({ code: 'UNAVAILABLE' });
    expect(lines.some((l) => String(l.msg).includes('after the shutdown timeout'))).toBe(true);
    expect(lines.find((l) => l.msg === 'stopped')).toMatchObject({ drain: 'timeout', calls_cut: 1, exit_code: 1 });
  });

  test('a second signal ends the drain at once: the cut call gets UNAVAILABLE, and no timeout is claimed', async () => {
    const { server, api } = await start({ timeoutMs: 120_000, drainDelayMs: 0 });
    const slow = await runningImport(api);
    server.child.kill('SIGTERM');
    await server.output.waitFor((l) => l.msg === 'shutting down');
    // The drain ends the watch with OK; only the import is left to cut once it has.
    expect(await slow.watch.end()).toBe('done');
    server.child.kill('SIGINT');
    expect(await codeOf(slow.response)).toBe(UNAVAILABLE);
    expect((await server.exited).code).toBe(1);
    const lines = server.output.lines;
    expect(lines.some((l) => String(l.msg).includes('timeout'))).toBe(false);
    expect(lines.find((l) => l.msg === 'stopped')).toMatchObject({ drain: 'forced', calls_cut: 1, exit_code: 1 });
    expect(lines.find((l) => l.msg === 'finished call' && l.method === 'ImportOrders')).toMatchObject({ code: 'UNAVAILABLE' });
  });

  test('streams that never sent their request do not hold the drain: SIGTERM ends them and exits 0 at once', async () => {
    const { server } = await start({ timeoutMs: 120_000, drainDelayMs: 0 });
    const session = await openSession(server.grpcAddress);
    const waiting = Array.from({ length: 50 }, () =>
      http2Call(session, { path: '/grpc.health.v1.Health/Watch', body: Buffer.alloc(0), endStream: false, timeoutMs: 60_000 }),
    );
    const started = async () =>
      sample((await scrape(server.adminUrl)).text, 'grpc_server_started_total', {
        grpc_service: 'grpc.health.v1.Health',
        grpc_method: 'Watch',
      });
    await expect.poll(started, { timeout: 30_000 }).toBe(50); // all 50 are open on the server
    server.child.kill('SIGTERM');
    const outcomes = await Promise.all(waiting);
    expect(outcomes.filter((o) => o.hung)).toEqual([]);
    expect(new Set(outcomes.map((o) => o.grpcStatus))).toEqual(new Set([UNAVAILABLE]));
    expect(await server.exited).toMatchObject({ code: 0 });
    expect(server.output.lines.find((l) => l.msg === 'stopped')).toMatchObject({ drain: 'drained', calls_cut: 0 });
    session.destroy();
  });

  test('Health/Check answers NOT_SERVING from the first moment of the stop', async () => {
    const { server, api } = await start({ timeoutMs: 10_000, drainDelayMs: 5000 });
    expect((await api.health.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    server.child.kill('SIGTERM');
    await server.output.waitFor((l) => l.msg === 'shutting down');
    expect((await api.health.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    expect((await server.exited).code).toBe(0);
  });
});
