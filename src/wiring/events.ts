// The event signal for the configured store. The in-memory store has one process: LocalEventSignal,
// woken by the store's own commits. A SQL store (PostgreSQL, PGlite) can have writers elsewhere
// (replicas; a worker process): PostgresEventSignal LISTENs for their commits on a connection of
// its own, catches up from the log after a reconnect and every events.catchUpIntervalMs, and is a
// readiness check (`events`): while it cannot listen, the process is NOT_SERVING.
import type { LocalEventSignal } from '../adapters/local-event-signal.js';
import { PostgresEventSignal } from '../adapters/postgres/postgres-event-signal.js';
import { prometheusEventsListening } from '../adapters/prometheus/business-metrics.js';
import type { Store } from '../adapters/store.js';
import type { MetricsRegistry as Registry } from '../platform/metrics.js';
import type { Config } from '../config.js';
import type { EventSignal } from '../domain/ports.js';
import type { Health } from '../platform/health.js';
import type { Closers } from '../platform/lifecycle.js';
import type { Logger } from '../platform/logger.js';

/**
 * `local` is what the store's onCommit notifies (this process's commits wake its readers at once);
 * the result is what readers wait on.
 */
export async function openEventSignal(
  config: Config,
  store: Store,
  local: LocalEventSignal,
  deps: { log: Logger; closers: Closers; health: Health; registry: Registry },
): Promise<EventSignal> {
  if (store.listen === undefined) return local;
  const { log, closers, health, registry } = deps;
  const signal = new PostgresEventSignal({
    listen: store.listen,
    head: () => store.events.head(),
    catchUpIntervalMs: config.events.catchUpIntervalMs,
    reconnect: { initialMs: config.events.reconnectInitialMs, maxMs: config.events.reconnectMaxMs },
    local,
    onChange: (listening, error) => {
      if (listening) return log.info('listening for events of other processes');
      log.warn({ err: error }, 'lost the LISTEN connection for events; reconnecting (watchers catch up from the log meanwhile)');
      health.suspect();
    },
  });
  await signal.start();
  closers.add('events', () => signal.close());
  health.addCheck('events', (abort) => signal.check(abort));
  prometheusEventsListening(registry, () => signal.listening());
  return signal;
}
