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

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function start(shutdown: Record<string, number>) {
  const { dataDir, cleanup } = await freshEmbeddedDataDir();
  const server = await startServerProcess(testConfigDocument({ kind: 'embedded', dataDir }, { shutdown, log: { level: 'info' } }));
  const api = connect(server.grpcAddress);
  cleanups.push(() => {
    api.close();
    server.child.kill('SIGKILL');
    server.cleanup();
    cleanup();
  });
  return { server, api };
}

const item = (i: number): ImportOrdersRequest => ({ order: { customerId: 'slow', items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: `slow-${i}` } });

/** An import stream the client keeps open: a call in flight for as long as the test wants. */
function slowImport(api: Clients) {
  const requests = new AsyncQueue<ImportOrdersRequest>();
  const response = api.orders.importOrders(requests);
  response.catch(() => {});
  return { requests, response };
}

/**
 * Starts a slow import and resolves once the server is running it: its first item's order event
 * has come out of WatchOrders (a watch the shutdown then ends cleanly).
 */
async function runningImport(api: Clients) {
  const watch = reader(api.orders.watchOrders({ customerId: 'slow' }));
  const slow = slowImport(api);
  slow.requests.push(item(1));
  await watch.take(1);
  return slow;
}

/** Resolves once a new connection's call is refused (UNAVAILABLE): the listener has closed. */
async function refusesNewCalls(address: string): Promise<void> {
  await until('a new call is refused', async () => {
    const fresh = connect(address);
    try {
      return await fresh.catalog.getProduct({ id: 'cup' }, { deadline: 30_000 }).then(
        () => false,
        (error: { code?: number }) => error.code === 14,
      );
    } finally {
      fresh.close();
    }
  });
}

/** A forced stop cancels the call or closes its connection: CANCELLED or UNAVAILABLE. */
async function cutOff(response: Promise<unknown>): Promise<boolean> {
  const error = await response.then(() => undefined, (e: unknown) => e as { code?: number });
  return error?.code === 1 || error?.code === 14;
}

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
    expect(server.output.lines.find((l) => l.msg === 'stopped')).toMatchObject({ drained: true, closed: true, exit_code: 0 });
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

  test('cancels calls still running at the shutdown timeout and exits 1', async () => {
    const { server, api } = await start({ timeoutMs: 1500, drainDelayMs: 0 });
    const slow = await runningImport(api);
    server.child.kill('SIGTERM');
    expect(await cutOff(slow.response)).toBe(true); // the client never ends it: only the timeout can
    const exit = await server.exited;
    expect(exit.code).toBe(1);
    expect(server.output.lines.find((l) => l.msg === 'stopped')).toMatchObject({ drained: false, exit_code: 1 });
  });

  test('a second signal forces the stop at once', async () => {
    const { server, api } = await start({ timeoutMs: 120_000, drainDelayMs: 0 });
    const slow = await runningImport(api);
    server.child.kill('SIGTERM');
    await server.output.waitFor((l) => l.msg === 'shutting down');
    server.child.kill('SIGINT');
    expect(await cutOff(slow.response)).toBe(true);
    expect((await server.exited).code).toBe(1);
  });
});
