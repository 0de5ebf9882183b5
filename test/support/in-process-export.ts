// One CSV export of every order through the export use cases and the in-process runner, as the
// embedded server runs it: for tests of what happens to an attempt (retries, a crashed encoding
// thread). `orders` and `encoders` default to the store's and the in-loop encoder.
import { trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import pino from 'pino';
import { IN_LOOP_PAGE_ENCODER } from '../../src/adapters/export-encoders.js';
import { InProcessJobQueue } from '../../src/adapters/in-process-job-queue.js';
import { nodeSha256 } from '../../src/adapters/node-sha256.js';
import { PollingExportJobSignal } from '../../src/adapters/polling-export-job-signal.js';
import type { Store } from '../../src/adapters/store.js';
import { ANY_ACTOR } from '../../src/domain/actor.js';
import { dispatchExports, exportUseCases } from '../../src/domain/exports/export-use-cases.js';
import type { ExportJob } from '../../src/domain/exports/export-job.js';
import type { OrderPageEncoder, OrderRepository } from '../../src/domain/ports.js';
import { exportJobHandler } from '../../src/transport/jobs/export-jobs.js';
import { sequentialIds } from './builders.js';
import { until } from './until.js';

export async function startInProcessExport(store: Store, options: { orders?: OrderRepository; encoders?: OrderPageEncoder } = {}) {
  const exports = exportUseCases({
    jobs: store.exports,
    orders: options.orders ?? store.orders,
    encoders: options.encoders ?? IN_LOOP_PAGE_ENCODER,
    sha256: nodeSha256,
    changes: new PollingExportJobSignal(5),
    now: () => new Date(),
    newId: sequentialIds(),
    settings: { pageSize: 10, progressIntervalMs: 1, maxAttempts: 3 },
  });
  const retries: number[] = [];
  const queue = new InProcessJobQueue({
    concurrency: 1,
    initialBackoffMs: 1,
    maxBackoffMs: 4,
    onRetry: (_id, retry) => retries.push(retry),
  });
  const attempts: string[] = [];
  queue.consume(
    exportJobHandler({
      exports,
      log: pino({ level: 'silent' }),
      tracer: trace.getTracer('test'),
      propagator: new W3CTraceContextPropagator(),
      metrics: { attemptEnded: (r) => attempts.push(r) },
    }),
  );
  const { job } = await exports.create(
    { customerId: '', status: undefined, format: 'CSV', idempotencyKey: '' },
    { actor: ANY_ACTOR, requester: 'staff', traceContext: {} },
  );
  await dispatchExports({ jobs: store.exports, queue })();
  return {
    /** Retry numbers the runner scheduled, and each attempt's result, in order. */
    retries,
    attempts,
    /** The job once SUCCEEDED or FAILED. */
    async final(): Promise<ExportJob> {
      let current = await exports.get(job.id, ANY_ACTOR);
      await until('the job is final', async () =>
        ['SUCCEEDED', 'FAILED'].includes((current = await exports.get(job.id, ANY_ACTOR)).status),
      );
      return current;
    },
    close: () => queue.close(1000),
  };
}
