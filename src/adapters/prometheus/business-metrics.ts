// Business metrics on prom-client: the domain's OrderMetrics port, the cache observer and the
// store's connection gauge. Labels hold only small closed sets (currency, status, result):
// never ids.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { MetricsRegistry as Registry } from '../../platform/metrics.js';
import { ORDER_STATUSES, canMove, type Order, type OrderStatus } from '../../domain/order.js';
import type { OrderMetrics } from '../../domain/ports.js';
import type { CacheObserver } from '../read-through-cache.js';

/** Order totals in minor units: from one coin to a large B2B order. */
const AMOUNT_BUCKETS = [100, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000, 10_000_000];

export function prometheusOrderMetrics(registry: Registry): OrderMetrics {
  const registers = [registry];
  const created = new Counter({
    name: 'orderflow_orders_created_total',
    help: 'Orders created, by currency.',
    labelNames: ['currency'],
    registers,
  });
  const amount = new Histogram({
    name: 'orderflow_order_amount_minor',
    help: 'Order totals at creation, in minor units of their currency.',
    labelNames: ['currency'],
    buckets: AMOUNT_BUCKETS,
    registers,
  });
  const transitions = new Counter({
    name: 'orderflow_order_status_transitions_total',
    help: 'Order status changes, by the status left and the status entered.',
    labelNames: ['from', 'to'],
    registers,
  });
  const imported = new Counter({
    name: 'orderflow_import_items_total',
    help: 'ImportOrders items, by result.',
    labelNames: ['result'],
    registers,
  });
  for (const from of ORDER_STATUSES) for (const to of ORDER_STATUSES) if (canMove(from, to)) transitions.inc({ from, to }, 0);
  for (const result of ['created', 'duplicate', 'failed']) imported.inc({ result }, 0);

  return {
    orderCreated(order: Order) {
      const currency = order.total.currencyCode;
      created.inc({ currency });
      amount.observe({ currency }, Number(order.total.amountMinor));
    },
    statusChanged(from: OrderStatus, to: OrderStatus) {
      transitions.inc({ from, to });
    },
    importFinished(result) {
      imported.inc({ result: 'created' }, result.created);
      imported.inc({ result: 'duplicate' }, result.duplicates);
      imported.inc({ result: 'failed' }, result.failed);
    },
  };
}

/** Error reasons: the Cache port's rejection names (see its TSDoc), and garbage in an entry. */
const ERROR_REASONS: Readonly<Record<string, string>> = {
  TimeoutError: 'timeout',
  AbortError: 'aborted',
  CacheUnavailableError: 'unavailable',
};
const reasonOf = (error: unknown) => ERROR_REASONS[(error as { name?: unknown } | undefined)?.name as string] ?? 'error';

/** Registered once per registry, shared by every cache of the process (told apart by `cache`). */
function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export function prometheusCacheObserver(registry: Registry, cache: string, onError: (error: unknown) => void): CacheObserver {
  const requests = counter(
    registry,
    'orderflow_cache_requests_total',
    'Cache lookups (one per key), by cache and result: hit, miss, or error (the cache failed; the source answered).',
    ['cache', 'result'],
  );
  const errors = counter(
    registry,
    'orderflow_cache_errors_total',
    'Failed cache calls, by cache, operation (read, write) and reason (timeout, unavailable, aborted, corrupt, error). The caller was served from the source.',
    ['cache', 'operation', 'reason'],
  );
  for (const result of ['hit', 'miss', 'error']) requests.inc({ cache, result }, 0);
  for (const operation of ['read', 'write']) for (const reason of ['timeout', 'unavailable']) errors.inc({ cache, operation, reason }, 0);
  return {
    hit: (count = 1) => requests.inc({ cache, result: 'hit' }, count),
    miss: (count = 1) => requests.inc({ cache, result: 'miss' }, count),
    error(operation, error, keys = 1) {
      if (operation !== 'write') requests.inc({ cache, result: 'error' }, keys);
      errors.inc({
        cache,
        operation: operation === 'write' ? 'write' : 'read',
        reason: operation === 'decode' ? 'corrupt' : reasonOf(error),
      });
      onError(error);
    },
  };
}

const upSources = new WeakMap<Registry, Map<string, () => boolean>>();

/** orderflow_cache_up{cache}: 1 while `up()` says the cache answers, 0 while calls bypass it; read at each scrape. */
export function prometheusCacheUp(registry: Registry, cache: string, up: () => boolean): void {
  let sources = upSources.get(registry);
  if (sources === undefined) {
    const all = new Map<string, () => boolean>();
    sources = all;
    upSources.set(registry, all);
    new Gauge({
      name: 'orderflow_cache_up',
      help: 'Whether the cache answers (1) or not (0: every call goes to the source, slower but served).',
      labelNames: ['cache'],
      registers: [registry],
      collect() {
        for (const [name, isUp] of all) this.set({ cache: name }, isUp() ? 1 : 0);
      },
    });
  }
  sources.set(cache, up);
}

export type ConnectionStats = Readonly<{ inUse: number; idle: number; waiting: number }>;

/** The store's connections, read at each scrape. */
export function prometheusStoreConnections(registry: Registry, stats: () => ConnectionStats): void {
  const gauge = new Gauge({
    name: 'orderflow_store_connections',
    help: 'Store connections by state: in_use, idle, and waiting (requests queued for a connection).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const { inUse, idle, waiting } = stats();
      gauge.set({ state: 'in_use' }, inUse);
      gauge.set({ state: 'idle' }, idle);
      gauge.set({ state: 'waiting' }, waiting);
    },
  });
}

/** orderflow_events_listening: 1 while the LISTEN connection for other processes' events is up. */
export function prometheusEventsListening(registry: Registry, listening: () => boolean): void {
  new Gauge({
    name: 'orderflow_events_listening',
    help: 'Whether this process listens for events committed by other processes (1) or is reconnecting (0: watchers get them by the periodic catch-up, the process is not ready).',
    registers: [registry],
    collect() {
      this.set(listening() ? 1 : 0);
    },
  });
}
