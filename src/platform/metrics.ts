// The process's own prom-client Registry (never the global one, so several apps can share a
// process in tests), with Node's runtime metrics.
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client's default metrics include gauges whose names end in _total, which
 * `promtool check metrics` rejects; the same information is in nodejs_active_*.
 */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetricsRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}
