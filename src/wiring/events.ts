// The event signal for the configured store. The in-memory store has one process: LocalEventSignal,
// woken by the store's own commits. A SQL store (PostgreSQL, PGlite) can have writers elsewhere
// (replicas; a worker process): the process opens ONE LISTEN connection (ListenHub) on both
// channels — order events and export jobs — which reconnects with backoff and is a readiness check
// (`events`): while it cannot listen, the process is NOT_SERVING. PostgresEventSignal hears order
// events through it and catches up from the log after a reconnect and every
// events.catchUpIntervalMs; the export job signal (wiring/exports.ts) subscribes to the same hub.
import type { LocalEventSignal } from '../adapters/local-event-signal.js';
import { ListenHub } from '../adapters/postgres/listen-hub.js';
import { PostgresEventSignal } from '../adapters/postgres/postgres-event-signal.js';
import { EVENTS_CHANNEL, EXPORT_JOBS_CHANNEL } from '../adapters/postgres/sql-driver.js';
import { prometheusEventsListening } from '../adapters/prometheus/business-metrics.js';
import type { Store } from '../adapters/store.js';
import type { MetricsRegistry as Registry } from '../platform/metrics.js';
import type { Config } from '../config.js';
import type { EventSignal } from '../domain/ports.js';
import type { Health } from '../platform/health.js';
import type { Closers } from '../platform/lifecycle.js';
import type { Logger } from '../platform/logger.js';

export type EventSignals = Readonly<{
  /** What order event readers wait on. */
  events: EventSignal;
  /** The process's LISTEN connection (SQL stores), for other subscribers such as export watchers. */
  hub: ListenHub | undefined;
}>;

/**
 * `local` is what the store's onCommit notifies (this process's commits wake its readers at once);
 * `events` is what readers wait on.
 */
export async function openEventSignal(
  config: Config,
  store: Store,
  local: LocalEventSignal,
  deps: { log: Logger; closers: Closers; health: Health; registry: Registry },
): Promise<EventSignals> {
  if (store.listen === undefined) return { events: local, hub: undefined };
  const { log, closers, health, registry } = deps;
  const hub = new ListenHub({
    listen: store.listen,
    channels: [EVENTS_CHANNEL, EXPORT_JOBS_CHANNEL],
    reconnect: { initialMs: config.events.reconnectInitialMs, maxMs: config.events.reconnectMaxMs },
    onChange: (listening, error) => {
      if (listening) return log.info('listening for events of other processes');
      log.warn({ err: error }, 'lost the LISTEN connection for events; reconnecting (watchers catch up from the store meanwhile)');
      health.suspect();
    },
  });
  const signal = new PostgresEventSignal({
    hub,
    head: () => store.events.head(),
    catchUpIntervalMs: config.events.catchUpIntervalMs,
    local,
  });
  await signal.start();
  closers.add('events', async () => {
    await signal.close();
    await hub.close();
  });
  health.addCheck('events', (abort) => hub.check(abort));
  prometheusEventsListening(registry, () => hub.listening());
  return { events: signal, hub };
}
