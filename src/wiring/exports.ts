// Export jobs for a process: the use cases (for the ExportService API), the configured queue
// (in-process, or BullMQ on Redis), the outbox dispatcher, and — when this process runs jobs — the
// consumer. Server and worker both build it here. The dispatcher hands new jobs over at once and
// sweeps the outbox every dispatchIntervalMs (entries committed by other processes, or left by a
// crash). Watchers wake on a change notification for their job (the process's LISTEN connection on
// SQL stores, the store itself in memory), with exports.watchPollIntervalMs as the safety net.
// Every maintenanceIntervalMs the same process runs the reconcile sweep (unfinished jobs the queue
// no longer holds are added again) and retention (reconcile-exports.ts); replicas may overlap.
import { BullmqConsumer, BullmqJobQueue, redisQueueFacts, type BullmqSettings } from '../adapters/bullmq/bullmq-job-queue.js';
import { ThreadPageEncoder } from '../adapters/export-encode-pool.js';
import { IN_LOOP_PAGE_ENCODER } from '../adapters/export-encoders.js';
import { InProcessJobQueue } from '../adapters/in-process-job-queue.js';
import { nodeSha256 } from '../adapters/node-sha256.js';
import { NotifiedExportJobSignal } from '../adapters/notified-export-job-signal.js';
import type { ListenHub } from '../adapters/postgres/listen-hub.js';
import { EXPORT_JOBS_CHANNEL } from '../adapters/postgres/sql-driver.js';
import {
  prometheusExportGauges,
  prometheusExportMaintenanceMetrics,
  prometheusExportMetrics,
} from '../adapters/prometheus/export-metrics.js';
import type { Store } from '../adapters/store.js';
import type { Config } from '../config.js';
import { dispatchExports, exportUseCases, type ExportUseCases } from '../domain/exports/export-use-cases.js';
import { reconcileExports } from '../domain/exports/reconcile-exports.js';
import type { Clock, ExportJobSignal, IdGenerator, JobQueue, OrderRepository } from '../domain/ports.js';
import { ConfigError } from '../platform/config.js';
import type { Closers } from '../platform/lifecycle.js';
import { exportJobHandler } from '../transport/jobs/export-jobs.js';
import type { Telemetry } from './telemetry.js';

export type Exports = Readonly<{
  useCases: ExportUseCases;
  /** Starts dispatching (and running jobs, when `runJobs`); an in-process runner first resumes the store's unfinished jobs. */
  start(): Promise<void>;
  /** Stops dispatching and taking jobs; running ones get `timeoutMs`, then are handed back. True when all finished in time. */
  stopJobs(timeoutMs: number): Promise<boolean>;
  /** Hands the running jobs back at once (a second signal during stopJobs). */
  force(): void;
}>;

export type ExportsOptions = Readonly<{
  orders: OrderRepository;
  now: Clock;
  newId: IdGenerator;
  runJobs: boolean;
  /** The process's LISTEN connection (SQL stores); without it (a worker, which watches nothing) watchers only poll. */
  hub?: ListenHub | undefined;
}>;

/** Unfinished jobs fed to an in-process runner at start. */
const RESUME_LIMIT = 10_000;

/**
 * What WatchExportJob waits on: woken by a notification for its job — from the hub (the trigger of
 * migration 0003, any process) or the in-memory store's own feed — or after watchPollIntervalMs.
 */
export function exportJobChanges(store: Store, hub: ListenHub | undefined, pollIntervalMs: number): ExportJobSignal {
  const signal = new NotifiedExportJobSignal(pollIntervalMs);
  if (hub !== undefined) hub.subscribe(EXPORT_JOBS_CHANNEL, { heard: (id) => signal.notify(id), reconnected: () => signal.wakeAll() });
  else store.onExportJobChanged?.((id) => signal.notify(id));
  return signal;
}

export function bullmqSettings(config: Config): BullmqSettings | undefined {
  const queue = config.exports.queue;
  return queue.kind === 'bullmq' ? { ...queue, password: queue.password?.reveal() } : undefined;
}

/**
 * Refuses a Redis that may evict BullMQ's keys; returns a warning for one that keeps nothing
 * across a restart: the jobs already handed to it would be lost (their outbox entries are gone
 * once dispatched) until the reconcile sweep queues them again, exports.staleAfterMs later.
 */
export async function checkQueueRedis(settings: BullmqSettings): Promise<string[]> {
  const { evictionPolicy, appendOnly } = await redisQueueFacts(settings);
  const where = `exports.queue: Redis at ${settings.host}:${settings.port}`;
  if (evictionPolicy !== 'noeviction') {
    throw new ConfigError(
      `${where} has maxmemory-policy ${evictionPolicy}; BullMQ needs noeviction (evicted job keys corrupt the queue): set maxmemory-policy noeviction`,
    );
  }
  if (appendOnly) return [];
  return [
    `${where} has no append-only file: a Redis restart loses the export jobs already queued there, and they wait until the reconcile sweep queues them again (exports.staleAfterMs); set appendonly yes (deploy/k8s/base/redis/redis.conf does)`,
  ];
}

export function createExports(config: Config, store: Store, telemetry: Telemetry, closers: Closers, options: ExportsOptions): Exports {
  const { log, registry } = telemetry;
  const settings = config.exports;
  const bullmq = bullmqSettings(config);
  const memoryQueue =
    bullmq === undefined
      ? new InProcessJobQueue({
          ...settings,
          onRetry: (job_id, retry, backoff_ms) => log.info({ job_id, retry, backoff_ms }, 'export job retry scheduled'),
        })
      : undefined;
  const producer = bullmq === undefined ? undefined : new BullmqJobQueue(bullmq);
  if (producer !== undefined) closers.add('export queue', () => producer.close());
  const queue: JobQueue = (memoryQueue ?? producer) as JobQueue;
  const dispatch = dispatchExports({ jobs: store.exports, queue });

  let dispatching: Promise<void> | undefined;
  let again = false;
  let lastWarning = 0;
  const poke = () => {
    if (dispatching !== undefined) {
      again = true;
      return;
    }
    dispatching = dispatch()
      .then(
        () => undefined,
        (error: unknown) => {
          if (Date.now() - lastWarning > 10_000)
            log.warn({ err: error }, 'export dispatch failed; the outbox keeps the jobs and is swept again');
          lastWarning = Date.now();
        },
      )
      .finally(() => {
        dispatching = undefined;
        if (again) {
          again = false;
          poke();
        }
      });
  };

  // Export pages are encoded on worker threads (exports.encodeThreads; 0: on this loop). Closed
  // after the jobs have stopped (closers run in reverse): a page still in a thread then fails its attempt.
  const encodePool = settings.encodeThreads === 0 ? undefined : new ThreadPageEncoder({ threads: settings.encodeThreads });
  if (encodePool !== undefined) closers.add('export encoding threads', () => encodePool.close());
  const useCases = exportUseCases({
    jobs: store.exports,
    orders: options.orders,
    encoders: encodePool ?? IN_LOOP_PAGE_ENCODER,
    sha256: nodeSha256,
    changes: exportJobChanges(store, options.hub, settings.watchPollIntervalMs),
    now: options.now,
    newId: options.newId,
    settings,
    onCreated: poke,
  });
  prometheusExportGauges(registry, { jobsByStatus: () => store.exports.countByStatus(), queueDepth: () => queue.depth() });
  const handler = exportJobHandler({ exports: useCases, ...telemetry, metrics: prometheusExportMetrics(registry) });
  const consumer =
    options.runJobs && bullmq !== undefined
      ? new BullmqConsumer(bullmq, handler, {
          ...settings,
          onError: (error) => log.warn({ err: error }, 'export queue worker error'),
          onCancel: () => log.warn('running export jobs did not finish within the shutdown timeout; handing them back'),
        })
      : undefined;

  const reconcile = reconcileExports({
    jobs: store.exports,
    queue,
    now: options.now,
    settings: { staleAfterMs: settings.staleAfterMs, retentionMs: settings.retentionHours * 3600_000 },
  });
  const maintenanceMetrics = prometheusExportMaintenanceMetrics(registry);
  let maintaining: Promise<void> | undefined;
  const maintain = () => {
    maintaining ??= reconcile()
      .then(
        ({ requeued, deleted }) => {
          if (requeued.length > 0) {
            maintenanceMetrics.requeued(requeued.length);
            log.warn(
              { job_ids: requeued, stale_after_ms: settings.staleAfterMs },
              'export jobs unfinished in the store but missing from the queue were queued again',
            );
          }
          if (deleted > 0) {
            maintenanceMetrics.deleted(deleted);
            log.info({ jobs: deleted, retention_hours: settings.retentionHours }, 'finished export jobs past retention deleted');
          }
        },
        (error: unknown) => log.warn({ err: error }, 'export maintenance failed; it runs again next interval'),
      )
      .finally(() => (maintaining = undefined));
  };

  let sweep: NodeJS.Timeout | undefined;
  let maintenance: NodeJS.Timeout | undefined;
  let stopped: Promise<boolean> | undefined;
  return {
    useCases,
    async start() {
      if (memoryQueue !== undefined && options.runJobs) {
        const unfinished = await store.exports.unfinished(RESUME_LIMIT);
        if (unfinished.length > 0) log.info({ jobs: unfinished.length }, 'resuming unfinished export jobs');
        for (const id of unfinished) await memoryQueue.enqueue(id);
        memoryQueue.consume(handler);
      }
      consumer?.start();
      poke();
      sweep = setInterval(poke, settings.dispatchIntervalMs);
      sweep.unref();
      maintain();
      maintenance = setInterval(maintain, settings.maintenanceIntervalMs);
      maintenance.unref();
    },
    stopJobs(timeoutMs) {
      stopped ??= (async () => {
        clearInterval(sweep);
        clearInterval(maintenance);
        await Promise.all([dispatching, maintaining]);
        const results = await Promise.all([memoryQueue?.close(timeoutMs) ?? true, consumer?.close(timeoutMs) ?? true]);
        return results.every(Boolean);
      })();
      return stopped;
    },
    force() {
      memoryQueue?.abortRunning();
      consumer?.cancelRunning();
    },
  };
}
