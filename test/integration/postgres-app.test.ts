// The whole service on a real PostgreSQL: `npm run migrate`'s entry point on a fresh database,
// then the app over gRPC (create, read, watch), with the password coming from a secret reference.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { reader } from '../support/async-queue.js';
import { connect } from '../support/clients.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { startTestApp, testConfigDocument } from '../support/test-app.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_app_${randomBytes(4).toString('hex')}`;
const store = {
  kind: 'postgres',
  host: POSTGRES.host,
  port: POSTGRES.port,
  database,
  user: POSTGRES.user,
  password: { fromEnv: 'PG_TEST_PASSWORD' },
};

describe.skipIf(!available)('the service on PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-pg-app-'));

  beforeAll(() => admin(`CREATE DATABASE ${database}`));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  test('the migrate entry point applies the schema once, then finds it up to date', () => {
    const confPath = join(dir, 'migrate.yaml');
    writeFileSync(confPath, testConfigDocument(store));
    const run = () =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cmd/migrate.ts'], {
        env: { PATH: process.env.PATH ?? '', CONF_PATH: confPath, PG_TEST_PASSWORD: 'unused-with-trust-auth' },
        encoding: 'utf8',
      });
    const first = run();
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(
      /"applied":\["0001_orders\.sql","0002_exports\.sql","0003_export_maintenance\.sql","0004_export_job_notify\.sql"\].*migrations applied/,
    );
    const second = run();
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/schema is up to date/);
  });

  test('create, read and watch orders over gRPC', async () => {
    const app = await startTestApp({ env: { PG_TEST_PASSWORD: 'unused-with-trust-auth' }, config: { store: { ...store, migrate: true } } });
    const api = connect(app.grpcAddress);
    try {
      const abort = new AbortController();
      const watch = reader(api.orders.watchOrders({ customerId: 'pg-customer' }, { signal: abort.signal }));
      const { order } = await api.orders.createOrder({
        customerId: 'pg-customer',
        items: [{ productId: 'espresso', quantity: 2 }],
        idempotencyKey: 'pg-1',
      });
      expect(
        (
          await api.orders.createOrder({
            customerId: 'pg-customer',
            items: [{ productId: 'espresso', quantity: 2 }],
            idempotencyKey: 'pg-1',
          })
        ).order?.id,
      ).toBe(order?.id);
      expect((await api.orders.getOrder({ id: order!.id })).order).toEqual(order);
      const [event] = await watch.take(1);
      expect(event?.event?.order?.id).toBe(order?.id);
      abort.abort();
      const scrape = await (await fetch(`${app.adminUrl}/metrics`)).text();
      expect(scrape).toMatch(/^orderflow_store_connections\{state="idle"\} [1-9]/m);
      expect(JSON.stringify(app.logs)).not.toContain('unused-with-trust-auth');
    } finally {
      api.close();
      await app.stop();
    }
  });
});
