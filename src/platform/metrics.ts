// The process's own prom-client Registry (never the global one, so several apps can share a
// process in tests): Node runtime and process metrics, event-loop utilisation, the container's
// cgroup limits, build info, and the exposition in Prometheus text or OpenMetrics.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Registry, type RegistryContentType } from 'prom-client';

/**
 * prom-client's default metrics include gauges whose names end in _total, which
 * `promtool check metrics` rejects; the same information is in nodejs_active_*.
 */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * An OpenMetrics registry (prom-client allows exemplars only on those), written out as
 * Prometheus text unless the scraper asks for OpenMetrics (see exposition()).
 */
export type MetricsRegistry = Registry<RegistryContentType>;

export function createMetricsRegistry(options: { buildInfo?: { name: string; labels: Record<string, string> } } = {}): MetricsRegistry {
  const registry: MetricsRegistry = new Registry();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectDefaultMetrics({ register: registry });
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  addEventLoopUtilisation(registry);
  addCgroupLimits(registry);
  if (options.buildInfo !== undefined) {
    const { name, labels } = options.buildInfo;
    new Gauge({
      name,
      help: 'Build and environment of this process; always 1.',
      labelNames: Object.keys(labels),
      registers: [registry],
    }).set(labels, 1);
  }
  return registry;
}

/** A counter of event-loop busy time: rate() over any window is the utilisation, 0 to 1. */
function addEventLoopUtilisation(registry: MetricsRegistry): void {
  let last = performance.eventLoopUtilization();
  const counter = new Counter({
    name: 'nodejs_eventloop_active_seconds_total',
    help: 'Time the event loop spent busy (not idle in epoll); rate() of it is event-loop utilisation.',
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      const delta = performance.eventLoopUtilization(now, last);
      last = now;
      counter.inc(delta.active / 1000);
    },
  });
}

/** cgroup v2 first, then v1; undefined when there is no limit (or no cgroup filesystem). */
export function readCgroupLimits(root = '/sys/fs/cgroup'): { cpuCores?: number; memoryBytes?: number } {
  const read = (path: string) => {
    try {
      return readFileSync(`${root}/${path}`, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const limits: { cpuCores?: number; memoryBytes?: number } = {};
  const cpuMax = read('cpu.max')?.split(' ');
  const quota = cpuMax ? cpuMax[0] : read('cpu/cpu.cfs_quota_us');
  const period = cpuMax ? cpuMax[1] : read('cpu/cpu.cfs_period_us');
  if (quota !== undefined && quota !== 'max' && Number(quota) > 0 && Number(period) > 0) limits.cpuCores = Number(quota) / Number(period);
  const memory = read('memory.max') ?? read('memory/memory.limit_in_bytes');
  // cgroup v1 reports "no limit" as a huge number near 2^63.
  if (memory !== undefined && memory !== 'max' && Number(memory) > 0 && Number(memory) < 2 ** 60) limits.memoryBytes = Number(memory);
  return limits;
}

function addCgroupLimits(registry: MetricsRegistry): void {
  const { cpuCores, memoryBytes } = readCgroupLimits();
  if (cpuCores !== undefined) {
    new Gauge({
      name: 'process_cgroup_cpu_limit_cores',
      help: 'CPU limit of the container (cgroup quota / period), in cores.',
      registers: [registry],
    }).set(cpuCores);
  }
  if (memoryBytes !== undefined) {
    new Gauge({
      name: 'process_cgroup_memory_limit_bytes',
      help: 'Memory limit of the container (cgroup), in bytes.',
      registers: [registry],
    }).set(memoryBytes);
  }
}

let exposing: Promise<unknown> = Promise.resolve();

/**
 * The scrape body in the format the scraper asked for: OpenMetrics (with exemplars) when its
 * Accept header names application/openmetrics-text, Prometheus text otherwise. prom-client fixes
 * the format per registry and renames counters while writing OpenMetrics, so the switch and the
 * restore of the names are serialised across concurrent scrapes.
 */
export function exposition(registry: MetricsRegistry, accept: string | undefined): Promise<{ contentType: string; body: string }> {
  const contentType =
    accept?.includes('application/openmetrics-text') === true ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
  const run = exposing.then(async () => {
    const names = new Map(registry.getMetricsAsArray().map((m) => [m, m.name] as const));
    registry.setContentType(contentType);
    try {
      return { contentType, body: await registry.metrics() };
    } finally {
      registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
      for (const [metric, name] of names) (metric as { name: string }).name = name;
    }
  });
  exposing = run.catch(() => undefined);
  return run;
}
