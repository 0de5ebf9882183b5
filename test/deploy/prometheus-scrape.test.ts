// A real Prometheus (the Debian package that scripts/install-promtool.sh installs) scrapes two
// real apps under traffic — catalog, and orders calling it — and every query of the shipped
// dashboard and alert rules is run against what it collected: none may error, and the panels
// an operator looks at first must show data.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OrderStatus } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { connect } from '../support/clients.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

type Panel = { title?: string; targets?: { expr?: string }[]; panels?: Panel[] };
const dashboard = JSON.parse(readFileSync('deploy/grafana/dashboards/orderflow.json', 'utf8')) as { panels: Panel[] };
const rules = parse(readFileSync('deploy/prometheus/rules/orderflow-alerts.yml', 'utf8')) as {
  groups: { rules: { alert: string; expr: string }[] }[];
};

const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
const queries = [
  ...panels(dashboard.panels).flatMap((p) =>
    (p.targets ?? []).flatMap((t) => (t.expr === undefined ? [] : [{ name: `panel "${p.title ?? ''}"`, expr: t.expr }])),
  ),
  ...rules.groups.flatMap((g) => g.rules.map((r) => ({ name: `alert ${r.alert}`, expr: r.expr }))),
];
/** Dashboard variables as Grafana would fill them for "all". */
const filled = (expr: string) =>
  expr.replaceAll('$__rate_interval', '30s').replaceAll('$job', 'orderflow').replaceAll('$instance', '.*').replaceAll('$service', '.*');

let dir: string;
let prometheus: ChildProcess;
let promUrl: string;
const apps: TestApp[] = [];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function query(expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
  const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
}

beforeAll(async () => {
  if (spawnSync('prometheus', ['--version']).error !== undefined)
    throw new Error('prometheus is not installed: run scripts/install-promtool.sh');
  const catalog = await startTestApp({ store: 'embedded', config: { services: { orders: false } } });
  const orders = await startTestApp({
    store: 'embedded',
    config: { services: { catalog: false }, catalog: { remote: { address: catalog.grpcAddress, timeoutMs: 30_000 } } },
  });
  apps.push(catalog, orders);
  dir = mkdtempSync(join(tmpdir(), 'orderflow-prometheus-'));
  const targets = apps.map((a) => a.adminUrl.replace('http://', ''));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    JSON.stringify({ global: { scrape_interval: '1s' }, scrape_configs: [{ job_name: 'orderflow', static_configs: [{ targets }] }] }),
  );
  promUrl = `http://127.0.0.1:${await freePort()}`;
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${promUrl.slice(7)}`,
    ],
    { stdio: 'ignore' },
  );

  // Traffic of every kind while Prometheus scrapes: successes, client errors, a remote call.
  const api = connect(orders.grpcAddress);
  for (let i = 0; i < 40; i++) {
    const { order } = await api.orders.createOrder({ customerId: `c${i % 4}`, items: [{ productId: 'cup', quantity: 1 + (i % 3) }] });
    if (i % 2 === 0) await api.orders.updateOrderStatus({ id: order!.id, status: OrderStatus.ORDER_STATUS_PAID });
    await api.orders.getOrder({ id: order!.id });
    await api.orders.getOrder({ id: 'not-a-uuid' }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  api.close();
  // rate() needs two samples of each series inside its window (Prometheus may still be starting).
  await until(
    'Prometheus has two samples to take a rate of',
    async () => ((await query('sum(rate(grpc_server_handled_total{grpc_code="OK"}[30s]))')).data?.result.length ?? 0) > 0,
    180_000,
  );
}, 300_000);

afterAll(async () => {
  prometheus?.kill('SIGTERM');
  for (const app of apps) await app.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('every dashboard and alert query runs without error against a real scrape', async () => {
  expect(queries.length).toBeGreaterThan(30);
  const failures: string[] = [];
  for (const { name, expr } of queries) {
    const result = await query(filled(expr));
    if (result.status !== 'success') failures.push(`${name}: ${result.error ?? 'failed'}\n  ${expr}`);
  }
  expect(failures).toEqual([]);
});

test('the first things an operator looks at have data: traffic, errors by code, latency, runtime, business', async () => {
  const mustShow = [
    'sum by (grpc_method) (rate(grpc_server_started_total{job="orderflow"}[30s]))',
    'sum by (grpc_code) (rate(grpc_server_handled_total{job="orderflow", grpc_code="InvalidArgument"}[30s]))',
    'histogram_quantile(0.99, sum by (le, grpc_method) (rate(grpc_server_handling_seconds_bucket{job="orderflow", grpc_type="unary"}[30s])))',
    'sum(rate(grpc_client_handled_total{job="orderflow", grpc_method="BatchGetProducts"}[30s]))',
    'rate(nodejs_eventloop_active_seconds_total{job="orderflow"}[30s])',
    'sum by (currency) (orderflow_orders_created_total)',
    'orderflow_order_status_transitions_total{from="PENDING", to="PAID"} > 0',
    'orderflow_store_connections{state="idle"}',
    'up{job="orderflow"} == 1',
  ];
  for (const expr of mustShow) expect((await query(expr)).data?.result.length ?? 0, expr).toBeGreaterThan(0);
});
