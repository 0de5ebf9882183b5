// What every process observes itself with: the root logger, its own metrics registry (with build
// info) and tracing. Server, worker and migrate build it the same way.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { TextMapPropagator, Tracer } from '@opentelemetry/api';
import type { DestinationStream } from 'pino';
import type { Config } from '../config.js';
import { createHealth, type Health } from '../platform/health.js';
import type { Closers } from '../platform/lifecycle.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { createMetricsRegistry, type MetricsRegistry } from '../platform/metrics.js';
import { createTracing } from '../platform/tracing.js';

export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export type Telemetry = Readonly<{ log: Logger; registry: MetricsRegistry; tracer: Tracer; propagator: TextMapPropagator }>;

/** The root logger of a process; `component` names the process kind (worker, migrate) in every line. */
export function createRootLogger(
  config: Config,
  options: { component?: string; destination?: DestinationStream | undefined } = {},
): Logger {
  const base = { app: config.service.name, env: config.env, ...(options.component === undefined ? {} : { component: options.component }) };
  return createLogger(config.log, base, options.destination);
}

/** Metrics and tracing for `log`'s process; tracing is flushed and stopped by `closers`. */
export function createTelemetry(config: Config, log: Logger, closers: Closers): Telemetry {
  const registry = createMetricsRegistry({
    buildInfo: { name: `${config.service.name.replace(/\W/g, '_')}_build_info`, labels: { version: VERSION, env: config.env } },
  });
  const tracing = createTracing(config.tracing, {
    name: config.service.name,
    version: VERSION,
    environment: config.env,
    instance: `${hostname()}:${process.pid}`,
  });
  closers.add('tracing', tracing.shutdown);
  return { log, registry, tracer: tracing.tracer, propagator: tracing.propagator };
}

/** The readiness of a serving process (server, worker), each failed check logged as a warning. */
export function createReadiness(config: Config, log: Logger): Health {
  return createHealth({
    ...config.health,
    onCheckFailed: (check, error) => log.warn({ check, err: error }, 'readiness check failed'),
  });
}
