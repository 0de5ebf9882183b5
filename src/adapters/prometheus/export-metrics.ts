// Export metrics on prom-client: attempts by result and their durations (ExportMetrics), and
// gauges read at scrape time: jobs per status (from the store, so every process reports the same
// totals) and the queue's depth.
import { Counter, Gauge, Histogram } from 'prom-client';
import { EXPORT_STATUSES, type ExportStatus } from '../../domain/exports/export-job.js';
import type { ExportMetrics } from '../../domain/ports.js';
import type { MetricsRegistry as Registry } from '../../platform/metrics.js';

const RESULTS = ['succeeded', 'failed', 'retried', 'released', 'skipped'] as const;

export function prometheusExportMetrics(registry: Registry): ExportMetrics {
  const registers = [registry];
  const attempts = new Counter({
    name: 'orderflow_export_attempts_total',
    help: 'Export job attempts ended, by result (retried: failed and to be retried; failed: no attempts left).',
    labelNames: ['result'],
    registers,
  });
  const duration = new Histogram({
    name: 'orderflow_export_attempt_duration_seconds',
    help: 'Duration of export job attempts, by result.',
    labelNames: ['result'],
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  for (const result of RESULTS) attempts.inc({ result }, 0);
  return {
    attemptEnded(result, seconds) {
      attempts.inc({ result });
      duration.observe({ result }, seconds);
    },
  };
}

/** Gauges computed when scraped; a failing source leaves the last values. */
export function prometheusExportGauges(
  registry: Registry,
  sources: { jobsByStatus(): Promise<Readonly<Record<ExportStatus, number>>>; queueDepth(): Promise<number> },
): void {
  new Gauge({
    name: 'orderflow_export_jobs',
    help: 'Export jobs in the store, by status.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await sources.jobsByStatus().catch(() => undefined);
      if (counts !== undefined) for (const status of EXPORT_STATUSES) this.set({ status }, counts[status]);
    },
  });
  new Gauge({
    name: 'orderflow_export_queue_depth',
    help: 'Export jobs waiting in the queue for a worker.',
    registers: [registry],
    async collect() {
      const depth = await sources.queueDepth().catch(() => undefined);
      if (depth !== undefined) this.set(depth);
    },
  });
}

/** The periodic maintenance's counters: jobs the reconcile sweep added to the queue again, and finished jobs retention deleted. */
export function prometheusExportMaintenanceMetrics(registry: Registry): { requeued(n: number): void; deleted(n: number): void } {
  const registers = [registry];
  const requeued = new Counter({
    name: 'orderflow_export_jobs_requeued_total',
    help: 'Unfinished export jobs the reconcile sweep found missing from the queue (lost, given up or finished there) and added again.',
    registers,
  });
  const deleted = new Counter({
    name: 'orderflow_export_jobs_deleted_total',
    help: 'Finished export jobs deleted with their files by retention (exports.retentionHours).',
    registers,
  });
  requeued.inc(0);
  deleted.inc(0);
  return { requeued: (n) => requeued.inc(n), deleted: (n) => deleted.inc(n) };
}
