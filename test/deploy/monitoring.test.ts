// The monitoring files in deploy/ (Prometheus config and alert rules, the Grafana dashboard and
// its provisioning) are checked three ways:
//  - promtool validates the config, lints the rules and runs the rules' unit tests;
//  - every metric name a dashboard query or an alert rule uses must be one the service exports,
//    read from the /metrics of a real app (a renamed metric must not silently empty a panel or
//    disarm an alert);
//  - the dashboard's structure: titles, queries, the templated datasource.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OrderStatus } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { connect } from '../support/clients.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROMETHEUS_CONFIG = 'deploy/prometheus/prometheus.yml';
const KUBERNETES_CONFIG = 'deploy/prometheus/kubernetes-scrape.yml';
const ALERT_RULES = 'deploy/prometheus/rules/orderflow-alerts.yml';
const ALERT_TESTS = 'deploy/prometheus/rules/orderflow-alerts.test.yml';
const DASHBOARD = 'deploy/grafana/dashboards/orderflow.json';
const GRAFANA_DATASOURCES = 'deploy/grafana/provisioning/datasources/prometheus.yml';
const GRAFANA_DASHBOARDS = 'deploy/grafana/provisioning/dashboards/orderflow.yml';
const RUNBOOK = 'docs/monitoring.md';

const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');

// ------------------------------------------------------------------------------------------------
// promtool
// ------------------------------------------------------------------------------------------------

/** promtool from PATH, or the one PROMTOOL names (e.g. an upstream build). */
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

/** Runs promtool in the repository root; a missing promtool is a failure that says how to fix it. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? `promtool was not found (${PROMTOOL}): run scripts/install-promtool.sh (as root), or set PROMTOOL=/path/to/promtool`
        : `promtool ${args.join(' ')} could not run: ${result.error.message}`,
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('promtool', () => {
  test('the docker-compose Prometheus config is valid and its rules lint clean', () => {
    const { status, output } = promtool('check', 'config', '--lint=all', '--lint-fatal', PROMETHEUS_CONFIG);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS: 1 rule files found');
  });

  test('the Kubernetes scrape config is valid', () => {
    const { status, output } = promtool('check', 'config', '--lint=all', '--lint-fatal', KUBERNETES_CONFIG);
    if (status !== 0 && output.includes('field kubernetes_sd_configs not found')) {
      // Debian's promtool is built without Kubernetes service discovery: check what it can't.
      console.info(
        `${KUBERNETES_CONFIG}: this promtool has no kubernetes_sd_configs; checked its structure only (set PROMTOOL to an upstream promtool for a full check)`,
      );
      const config = parseYaml(read(KUBERNETES_CONFIG)) as {
        rule_files: string[];
        scrape_configs: { job_name: string; kubernetes_sd_configs: { role: string }[] }[];
      };
      expect(config.rule_files).toEqual(['rules/*-alerts.yml']);
      expect(config.scrape_configs[0]).toMatchObject({ job_name: 'orderflow', kubernetes_sd_configs: [{ role: 'pod' }] });
      return;
    }
    expect(status, output).toBe(0);
  });

  test('the alert rules are valid and lint clean', () => {
    const { status, output } = promtool('check', 'rules', '--lint=all', '--lint-fatal', ALERT_RULES);
    expect(status, output).toBe(0);
  });

  test('the alert rules pass their unit tests', () => {
    const { status, output } = promtool('test', 'rules', ALERT_TESTS);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });
});

// ------------------------------------------------------------------------------------------------
// Metric names in PromQL
// ------------------------------------------------------------------------------------------------

/**
 * PromQL functions. Anything followed by `(` that is not in this list, AGGREGATIONS or
 * LABEL_LIST_KEYWORDS is reported as a metric name, so a misspelt function shows up too.
 */
const FUNCTIONS = new Set([
  'abs',
  'absent',
  'absent_over_time',
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'avg_over_time',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'cos',
  'cosh',
  'count_over_time',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'deg',
  'delta',
  'deriv',
  'double_exponential_smoothing',
  'exp',
  'floor',
  'histogram_avg',
  'histogram_count',
  'histogram_fraction',
  'histogram_quantile',
  'histogram_stddev',
  'histogram_stdvar',
  'histogram_sum',
  'holt_winters',
  'hour',
  'idelta',
  'increase',
  'info',
  'irate',
  'label_join',
  'label_replace',
  'last_over_time',
  'ln',
  'log10',
  'log2',
  'mad_over_time',
  'max_over_time',
  'min_over_time',
  'minute',
  'month',
  'pi',
  'predict_linear',
  'present_over_time',
  'quantile_over_time',
  'rad',
  'rate',
  'resets',
  'round',
  'scalar',
  'sgn',
  'sin',
  'sinh',
  'sort',
  'sort_by_label',
  'sort_by_label_desc',
  'sort_desc',
  'sqrt',
  'stddev_over_time',
  'stdvar_over_time',
  'sum_over_time',
  'tan',
  'tanh',
  'time',
  'timestamp',
  'vector',
  'year',
]);

/** Aggregation operators (case-insensitive in PromQL, like the keywords). */
const AGGREGATIONS = new Set([
  'avg',
  'bottomk',
  'count',
  'count_values',
  'group',
  'limit_ratio',
  'limitk',
  'max',
  'min',
  'quantile',
  'stddev',
  'stdvar',
  'sum',
  'topk',
]);

/** Modifiers followed by a parenthesised list of label names, which are not metrics. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Other keywords: binary operators spelt as words, modifiers, `@ start()`/`end()`, and number literals. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'atan2', 'bool', 'offset', 'start', 'end', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects. A small tokenizer, not a parser: it removes
 * everything that can contain identifiers that are not metric names, then drops the words PromQL
 * itself defines; what remains are metric names. Names given only as `{__name__="..."}` are not
 * seen (none of the shipped queries does that).
 */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    // 1. String literals ("...", '...' with escapes, `...` raw) and # comments, in one left-to-right
    //    pass so that a quote inside a comment or a # inside a string cannot confuse the other.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|#[^\n]*/g, ' ')
    // 2. Grafana variables: $job, ${datasource}, $__rate_interval.
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    // 3. Label matchers {job="x", grpc_code=~"..."}: with the strings gone they hold no braces.
    .replace(/\{[^}]*\}/g, ' ')
    // 4. Range and subquery brackets: [5m], [1h:30s].
    .replace(/\[[^\]]*\]/g, ' ');

  // 5. Tokens: identifiers, numbers (with an exponent or a duration unit: 0.99, 1e-3, 5m, 1h30m),
  //    or any other single character (operators, commas, parentheses).
  const tokens: string[] =
    stripped.match(/[A-Za-z_:][\w:]*|(?:0x[\da-fA-F]+|\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:[A-Za-z]+\d*)*|\S/g) ?? [];

  const names: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!/^[A-Za-z_:]/.test(token)) continue; // numbers and punctuation
    const word = token.toLowerCase();
    if (LABEL_LIST_KEYWORDS.has(word)) {
      // 6. `by (le, grpc_method)`, `on (instance) group_left (version)`: skip the label list.
      //    (`group_left` may also stand alone, then the next word is a metric again.)
      if (tokens[i + 1] === '(') {
        const close = tokens.indexOf(')', i + 1);
        i = close === -1 ? tokens.length : close;
      }
      continue;
    }
    // 7. Functions, aggregations, keywords.
    if (FUNCTIONS.has(token) || AGGREGATIONS.has(word) || KEYWORDS.has(word)) continue;
    names.push(token);
  }
  return [...new Set(names)];
}

describe('metricNamesIn (the PromQL tokenizer)', () => {
  test.each([
    ['a bare name', 'up', ['up']],
    [
      'label matchers, ranges and an aggregation with by before the body',
      'sum by (grpc_method, le) (rate(grpc_server_handling_seconds_bucket{job="orderflow", grpc_type="unary"}[5m]))',
      ['grpc_server_handling_seconds_bucket'],
    ],
    [
      'by after the body, numbers and a function with a scalar argument',
      'histogram_quantile(0.99, sum(rate(a_bucket[5m])) by (le)) > 0.5',
      ['a_bucket'],
    ],
    [
      'vector matching with on/group_left label lists',
      'rate(process_cpu_seconds_total[5m]) * on (instance) group_left (version) orderflow_build_info',
      ['process_cpu_seconds_total', 'orderflow_build_info'],
    ],
    ['group_left without a label list', 'a * on (instance) group_left b', ['a', 'b']],
    ['without and ignoring', 'sum without (instance) (x_total) / ignoring (code) y_total', ['x_total', 'y_total']],
    [
      'strings holding braces, parentheses and names; comments',
      'label_replace(up{job="a{b}"}, "dst", "$1 rate(no_metric[1m])", \'src\', "(.*)") # rate(commented_out[5m])\n+ z',
      ['up', 'z'],
    ],
    [
      'keywords in any case, bool, offset, durations, exponents, word operators',
      'SUM BY (job) (rate(x_total[1h30m] offset 1d)) > BOOL 1e-3 and y unless z OR vector(0) + Inf',
      ['x_total', 'y', 'z'],
    ],
    [
      'Grafana variables in matchers, ranges and elsewhere',
      'rate(grpc_server_started_total{instance=~"$instance", job=~"${job}"}[$__rate_interval]) * $scale',
      ['grpc_server_started_total'],
    ],
    ['a subquery and the @ modifier', 'max_over_time(rate(foo_total[5m])[1h:1m]) @ end()', ['foo_total']],
    ['names with colons (recording rules), each reported once', 'job:requests:rate5m / job:requests:rate5m', ['job:requests:rate5m']],
    ['a misspelt function is reported, not hidden', 'rat(a_total[5m])', ['rat', 'a_total']],
  ])('%s', (_name, expr, expected) => {
    expect(metricNamesIn(expr)).toEqual(expected);
  });
});

// ------------------------------------------------------------------------------------------------
// The shipped expressions
// ------------------------------------------------------------------------------------------------

type Target = { expr?: string; refId?: string; datasource?: { type?: string; uid?: string } };
type Panel = {
  id: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
  gridPos?: { x: number; y: number; w: number; h: number };
};
type Variable = { name: string; type: string; query?: string | { query: string }; datasource?: { type?: string; uid?: string } };
type Dashboard = {
  schemaVersion: number;
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
  annotations: { list: { name: string; expr?: string; datasource?: { type?: string; uid?: string } }[] };
};
type Rule = {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
type RuleFile = { groups: { name: string; rules: Rule[] }[] };

const dashboard = JSON.parse(read(DASHBOARD)) as Dashboard;
const ruleFile = parseYaml(read(ALERT_RULES)) as RuleFile;
const rules = ruleFile.groups.flatMap((group) => group.rules);

/** Every panel, including those inside rows. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}
const queryPanels = allPanels(dashboard.panels).filter((panel) => panel.type !== 'row');

/** Every PromQL expression shipped, with where it comes from. */
function shippedExpressions(): { source: string; expr: string }[] {
  const fromRules = rules.map((rule) => ({
    source: `${ALERT_RULES}: ${rule.alert ?? rule.record}${rule.labels?.signal === undefined ? '' : ` (signal=${rule.labels.signal})`}`,
    expr: rule.expr,
  }));
  const fromPanels = queryPanels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      source: `${DASHBOARD}: panel "${panel.title}" query ${target.refId}`,
      expr: target.expr ?? '',
    })),
  );
  const fromAnnotations = dashboard.annotations.list
    .filter((annotation) => annotation.expr !== undefined)
    .map((annotation) => ({ source: `${DASHBOARD}: annotation "${annotation.name}"`, expr: annotation.expr! }));
  // Variables: `label_values(<selector>, <label>)` is Grafana's, not PromQL; check its selector.
  const fromVariables = dashboard.templating.list.flatMap((variable) => {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const selector = variable.type === 'query' ? /^label_values\((.+),\s*\w+\s*\)$/s.exec(query ?? '')?.[1] : undefined;
    return selector === undefined ? [] : [{ source: `${DASHBOARD}: variable $${variable.name}`, expr: selector }];
  });
  return [...fromRules, ...fromPanels, ...fromAnnotations, ...fromVariables];
}

/**
 * Metric names in a Prometheus text exposition. A family is declared by its `# TYPE` line even
 * before it has a sample; a histogram `x` is selected as x_bucket, x_sum and x_count (never `x`).
 */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type !== null) {
      const [, name, kind] = type as unknown as [string, string, string];
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
      else if (kind === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(`${name}${suffix}`);
      else names.add(name);
      continue;
    }
    const sample = /^[A-Za-z_:][\w:]*/.exec(line);
    if (sample !== null) names.add(sample[0]);
  }
  return names;
}

/**
 * Names the queries may use that a test app does not export: `up` is made by Prometheus, and the
 * cgroup limits exist only inside a container that has limits.
 */
const NOT_FROM_THE_APP = new Set(['up', 'process_cgroup_cpu_limit_cores', 'process_cgroup_memory_limit_bytes']);

describe('every metric the dashboard and the alert rules query is exported by the service', () => {
  // The docker-compose topology Prometheus scrapes as job "orderflow": a catalog process, and an
  // orders process that reaches the catalog over gRPC (so it exports the grpc_client_* metrics).
  // Both on the embedded store, which reports its connections. The names either exports count.
  const apps: TestApp[] = [];
  const exported = new Set<string>();

  beforeAll(async () => {
    const catalog = await startTestApp({ store: 'embedded', config: { services: { orders: false, catalog: true } } });
    apps.push(catalog);
    const orders = await startTestApp({
      store: 'embedded',
      config: { services: { orders: true, catalog: false }, catalog: { remote: { address: catalog.grpcAddress } } },
    });
    apps.push(orders);
    const catalogApi = connect(catalog.grpcAddress);
    const ordersApi = connect(orders.grpcAddress);
    try {
      // A few calls of each kind, so that series created on first use exist too.
      await catalogApi.catalog.getProduct({ id: 'cup' });
      const { order } = await ordersApi.orders.createOrder({ customerId: 'c', items: [{ productId: 'cup', quantity: 1 }] });
      await ordersApi.orders.getOrder({ id: order!.id });
      await ordersApi.orders.updateOrderStatus({ id: order!.id, status: OrderStatus.ORDER_STATUS_PAID });
    } finally {
      catalogApi.close();
      ordersApi.close();
    }
    for (const app of apps) {
      const response = await fetch(`${app.adminUrl}/metrics`);
      expect(response.status).toBe(200);
      for (const name of exportedNames(await response.text())) exported.add(name);
    }
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
  });

  test('the exposition was read', () => {
    expect(exported.has('nodejs_heap_size_used_bytes')).toBe(true);
  });

  test.each([
    ['alert rules', ALERT_RULES],
    ['dashboard', DASHBOARD],
  ])('%s', (_kind, file) => {
    const unknown = shippedExpressions()
      .filter(({ source }) => source.startsWith(file))
      .map(({ source, expr }) => ({
        source,
        unknown: metricNamesIn(expr).filter((name) => !exported.has(name) && !NOT_FROM_THE_APP.has(name)),
        expr,
      }))
      .filter((entry) => entry.unknown.length > 0);
    const report = unknown
      .map((entry) => `${entry.source} uses ${entry.unknown.join(', ')}:\n    ${entry.expr.replace(/\n/g, '\n    ')}`)
      .join('\n');
    expect(
      unknown.map((entry) => `${entry.source}: ${entry.unknown.join(', ')}`),
      `metric names not exported by the service:\n${report}`,
    ).toEqual([]);
  });

  test('the checks above did look at queries', () => {
    const expressions = shippedExpressions();
    expect(expressions.filter(({ source }) => source.startsWith(ALERT_RULES))).toHaveLength(rules.length);
    expect(expressions.filter(({ source }) => source.startsWith(DASHBOARD)).length).toBeGreaterThan(queryPanels.length);
    for (const { source, expr } of expressions) expect(metricNamesIn(expr), source).not.toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------
// Structure
// ------------------------------------------------------------------------------------------------

const TEMPLATED = { type: 'prometheus', uid: '${datasource}' };

describe('Grafana dashboard', () => {
  test('every query is valid PromQL (promtool parses them as recording rules)', () => {
    // Grafana's interval variables become durations, the others a plain value.
    const promql = (expr: string) => expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m').replace(/\$\{\w+\}|\$\w+/g, 'x');
    const expressions = shippedExpressions().filter(({ source }) => source.startsWith(DASHBOARD));
    const rulesFile = {
      groups: [{ name: 'dashboard', rules: expressions.map(({ expr }, i) => ({ record: `dashboard_query_${i}`, expr: promql(expr) })) }],
    };
    const dir = mkdtempSync(join(tmpdir(), 'orderflow-dashboard-'));
    try {
      writeFileSync(join(dir, 'dashboard.yml'), stringifyYaml(rulesFile));
      const { status, output } = promtool('check', 'rules', join(dir, 'dashboard.yml'));
      const index = /dashboard_query_(\d+)/.exec(output)?.[1];
      const culprit = index === undefined ? '' : `\n${expressions[Number(index)]!.source}:\n${expressions[Number(index)]!.expr}`;
      expect(status, `${output}${culprit}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('is a provisionable dashboard with a templated Prometheus datasource', () => {
    expect(dashboard).toMatchObject({ uid: 'orderflow', title: 'orderflow' });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const datasource = dashboard.templating.list.find((variable) => variable.name === 'datasource');
    expect(datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query'))
      expect(variable.datasource, `variable ${variable.name}`).toEqual(TEMPLATED);
    for (const annotation of dashboard.annotations.list.filter((a) => a.expr !== undefined))
      expect(annotation.datasource, `annotation ${annotation.name}`).toEqual(TEMPLATED);
  });

  test('every panel has a title and queries the templated datasource', () => {
    expect(queryPanels.length).toBeGreaterThan(20);
    for (const panel of queryPanels) {
      const where = `panel ${panel.id} "${panel.title}"`;
      expect(panel.title?.trim(), `panel ${panel.id}`).toBeTruthy();
      expect(panel.datasource, where).toEqual(TEMPLATED);
      expect(panel.targets?.length, where).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.expr?.trim(), `${where} query ${target.refId}`).toBeTruthy();
        expect(target.datasource, `${where} query ${target.refId}`).toEqual(TEMPLATED);
      }
    }
  });

  test('panel ids are unique and panels fit the 24-column grid', () => {
    const panels = allPanels(dashboard.panels);
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    for (const panel of panels) {
      expect(panel.gridPos, `panel ${panel.id}`).toBeDefined();
      expect(panel.gridPos!.x + panel.gridPos!.w, `panel ${panel.id} "${panel.title}"`).toBeLessThanOrEqual(24);
    }
  });

  test('has the rows an operator expects', () => {
    const rows = dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => panel.title);
    for (const row of [/traffic/i, /errors/i, /latency/i, /streams/i, /outbound/i, /runtime/i, /business/i])
      expect(
        rows.some((title) => row.test(title ?? '')),
        `a row matching ${row}`,
      ).toBe(true);
  });

  test('latency quantiles leave streams out', () => {
    const latency = queryPanels
      .flatMap((panel) => (panel.targets ?? []).map((target) => ({ title: panel.title, expr: target.expr ?? '' })))
      .filter(({ expr }) => /grpc_(server|client)_handling_seconds_bucket/.test(expr));
    expect(latency.length).toBeGreaterThan(0);
    for (const { title, expr } of latency) expect(expr, `panel "${title}"`).toContain('grpc_type="unary"');
  });
});

describe('alert rules', () => {
  const runbook = read(RUNBOOK);
  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
  const anchors = new Set(
    [...runbook.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) =>
      heading!
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );

  test('are the agreed alerts', () => {
    expect([...new Set(rules.map((rule) => rule.alert))].sort()).toEqual([
      'OrderflowCacheDown',
      'OrderflowEventLoopSaturated',
      'OrderflowHighErrorRatio',
      'OrderflowHighLatency',
      'OrderflowInstanceDown',
    ]);
  });

  test.each(rules.map((rule) => [`${rule.alert}${rule.labels?.signal === undefined ? '' : ` (${rule.labels.signal})`}`, rule] as const))(
    '%s has a severity, a summary, a description and a runbook',
    (_name, rule) => {
      expect(rule.for).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      const [file, anchor] = (rule.annotations?.runbook_url ?? '').split('#');
      expect(file).toBe(RUNBOOK);
      expect([...anchors], `a heading in ${RUNBOOK} for #${anchor}`).toContain(anchor);
    },
  );

  test('the latency alert leaves streams out', () => {
    const latency = rules.find((rule) => rule.alert === 'OrderflowHighLatency')!;
    for (const selector of latency.expr.match(/grpc_server_handling_seconds_\w+\{[^}]*\}/g) ?? [])
      expect(selector).toContain('grpc_type="unary"');
  });
});

describe('Prometheus and Grafana wiring for docker-compose', () => {
  test('Prometheus scrapes both services and the export worker every 15s and loads the alert rules', () => {
    const config = parseYaml(read(PROMETHEUS_CONFIG)) as {
      rule_files: string[];
      scrape_configs: { job_name: string; scrape_interval?: string; static_configs: { targets: string[] }[] }[];
    };
    const job = config.scrape_configs.find((scrape) => scrape.job_name === 'orderflow');
    expect(job?.scrape_interval).toBe('15s');
    expect(job?.static_configs.flatMap((group) => group.targets).sort()).toEqual(['catalog:9464', 'orders:9464', 'worker:9464']);
    expect(config.rule_files).toEqual(['rules/*-alerts.yml']);
  });

  test('Grafana gets the Prometheus datasource and the dashboards directory', () => {
    const datasources = parseYaml(read(GRAFANA_DATASOURCES)) as { datasources: { type: string; url: string }[] };
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' })]);
    const providers = parseYaml(read(GRAFANA_DASHBOARDS)) as { providers: { type: string; options: { path: string } }[] };
    expect(providers.providers).toEqual([
      expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }) }),
    ]);
  });
});
