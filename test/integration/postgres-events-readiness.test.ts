// The LISTEN connection is a readiness dependency: /health lists it as `events`; while PostgreSQL
// cannot be reached (a TCP proxy the test refuses) the service is NOT_SERVING, once it is back the
// next readiness check reconnects (not the reconnect backoff, which may be seconds away), and a watcher that was open throughout gets, without a gap, the events another process committed
// meanwhile (their notifications were lost: the reconnect's catch-up from the log brings them).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { reader } from '../support/async-queue.js';
import { type Clients, connect } from '../support/clients.js';
import { sample, scrape } from '../support/scrape.js';
import { until } from '../support/until.js';
import { type EventWriterProcess, startEventWriter } from '../support/event-writer-process.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_evready_${randomBytes(4).toString('hex')}`;
const SERVING = 1;
const NOT_SERVING = 2;
let proxy: TcpProxy;
let app: TestApp;
let api: Clients;
let writer: EventWriterProcess;

describe.skipIf(!available)('event delivery and readiness across a database outage', () => {
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    proxy = await startTcpProxy({ host: POSTGRES.host, port: POSTGRES.port });
    app = await startTestApp({
      config: {
        store: {
          kind: 'postgres',
          host: '127.0.0.1',
          port: proxy.port,
          user: POSTGRES.user,
          database,
          migrate: true,
          connectTimeoutMs: 1000,
        },
        // No safety net within the test: only the catch-up after the reconnect can bring the events.
        // And no reconnect by the backoff either (its first step is 5-10 minutes away): the readiness
        // checks, which run every 500 ms while NOT_SERVING, must reconnect as soon as PostgreSQL is back.
        events: { catchUpIntervalMs: 3_600_000, reconnectInitialMs: 600_000, reconnectMaxMs: 600_000 },
        health: { checkIntervalMs: 3_600_000, checkTimeoutMs: 1000 },
      },
    });
    api = connect(app.grpcAddress);
    writer = startEventWriter({ ...POSTGRES, database });
  });

  afterAll(async () => {
    api?.close();
    await app?.stop();
    await writer?.stop();
    await proxy?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  test('NOT_SERVING while LISTEN is down; after it, the open watcher gets what was committed meanwhile', async () => {
    const health = (await (await fetch(`${app.adminUrl}/health`)).json()) as { checks: Record<string, { ok: boolean }> };
    expect(health.checks.events).toMatchObject({ ok: true });
    const watch = reader(api.orders.watchOrders({}));
    await writer.commitUpTo(1n);
    expect((await watch.take(1)).map((r) => r.event?.sequence)).toEqual([1n]);

    const listening = async () => sample((await scrape(app.adminUrl)).text, 'orderflow_events_listening');
    expect(await listening()).toBe(1);
    await proxy.refuse();
    await expect.poll(async () => (await api.health.check({ service: '' })).status, { timeout: 30_000 }).toBe(NOT_SERVING);
    await until('orderflow_events_listening is 0', async () => (await listening()) === 0);
    await writer.commitUpTo(4n); // straight to PostgreSQL, not through the proxy
    await proxy.accept();
    await expect.poll(async () => (await api.health.check({ service: '' })).status, { timeout: 30_000 }).toBe(SERVING);
    expect((await watch.take(3)).map((r) => r.event?.sequence)).toEqual([2n, 3n, 4n]);
    await until('orderflow_events_listening is 1 again', async () => (await listening()) === 1);
    await writer.commitUpTo(5n);
    expect((await watch.take(1)).map((r) => r.event?.sequence)).toEqual([5n]);
    expect(watch.pending()).toBe(0);
  });
});
