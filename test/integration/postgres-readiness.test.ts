// Readiness follows PostgreSQL without waiting for the next periodic check: a call that finds the
// database unreachable makes the service re-check at once (NOT_SERVING), and while unready it
// re-checks every half second, so it is SERVING again soon after the database is back.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Clients, connect } from '../support/clients.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_ready_${randomBytes(4).toString('hex')}`;
const SERVING = 1;
const NOT_SERVING = 2;
let proxy: TcpProxy;
let app: TestApp;
let api: Clients;

describe.skipIf(!available)('readiness on PostgreSQL', () => {
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
        // The periodic check is an hour away: only the reaction to a failed call can explain a change.
        health: { checkIntervalMs: 3_600_000, checkTimeoutMs: 1000 },
      },
    });
    api = connect(app.grpcAddress);
  });

  afterAll(async () => {
    api?.close();
    await app?.stop();
    await proxy?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  test('a call that finds the database gone turns readiness NOT_SERVING; it is SERVING again once the database is back', async () => {
    expect((await api.health.check({ service: '' })).status).toBe(SERVING);
    await proxy.refuse();
    await expect(api.orders.listOrders({})).rejects.toMatchObject({ code: 14 });
    await expect.poll(async () => (await api.health.check({ service: '' })).status, { timeout: 30_000 }).toBe(NOT_SERVING);
    await proxy.accept();
    await expect.poll(async () => (await api.health.check({ service: '' })).status, { timeout: 30_000 }).toBe(SERVING);
    expect((await api.orders.listOrders({})).orders).toEqual([]);
  });
});
