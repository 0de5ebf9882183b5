// Retries of export jobs on the in-process runner over the memory store: a failing attempt is
// retried with backoff and the job then succeeds; when every attempt fails the job is FAILED with
// a reason a client may see (a DomainError's message; "internal error" for anything else).
import { trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import pino from 'pino';
import { expect, test } from 'vitest';
import { IN_LOOP_PAGE_ENCODER } from '../../src/adapters/export-encoders.js';
import { InProcessJobQueue } from '../../src/adapters/in-process-job-queue.js';
import { openMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { nodeSha256 } from '../../src/adapters/node-sha256.js';
import { PollingExportJobSignal } from '../../src/adapters/polling-export-job-signal.js';
import { ANY_ACTOR } from '../../src/domain/actor.js';
import { DomainError } from '../../src/domain/errors.js';
import { dispatchExports, exportUseCases } from '../../src/domain/exports/export-use-cases.js';
import type { OrderRepository } from '../../src/domain/ports.js';
import { exportJobHandler } from '../../src/transport/jobs/export-jobs.js';
import { anOrder, sequentialIds } from '../support/builders.js';
import { until } from '../support/until.js';

async function runner(failures: (call: number) => Error | undefined) {
  const store = openMemoryStore();
  for (let i = 1; i <= 3; i++) await store.orders.create(anOrder({ id: `00000000-0000-7000-8000-${i.toString(16).padStart(12, '0')}` }));
  let calls = 0;
  const orders: OrderRepository = {
    ...store.orders,
    count: (q) => store.orders.count(q),
    list: (q) => {
      const error = failures(++calls);
      return error === undefined ? store.orders.list(q) : Promise.reject(error);
    },
  };
  const exports = exportUseCases({
    jobs: store.exports,
    orders,
    encoders: IN_LOOP_PAGE_ENCODER,
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
  const final = async () => {
    let current = await exports.get(job.id, ANY_ACTOR);
    await until('the job is final', async () => ['SUCCEEDED', 'FAILED'].includes((current = await exports.get(job.id, ANY_ACTOR)).status));
    return current;
  };
  return { final, retries, attempts, close: () => queue.close(1000) };
}

test('a failed attempt is retried with backoff; the next one succeeds', async () => {
  const r = await runner((call) => (call === 1 ? new DomainError('UNAVAILABLE', 'the store is unavailable') : undefined));
  expect(await r.final()).toMatchObject({ status: 'SUCCEEDED', attempts: 2, ordersDone: 3 });
  expect(r.retries).toEqual([1]);
  expect(r.attempts).toEqual(['retried', 'succeeded']);
  await r.close();
});

test('when every attempt fails the job is FAILED with its reason, without internal text', async () => {
  const unavailable = await runner(() => new DomainError('UNAVAILABLE', 'the store is unavailable'));
  expect(await unavailable.final()).toMatchObject({ status: 'FAILED', attempts: 3, error: 'the store is unavailable (after 3 attempts)' });
  expect(unavailable.attempts).toEqual(['retried', 'retried', 'failed']);
  await unavailable.close();
  const bug = await runner(() => new TypeError('secret internals at 0xdeadbeef'));
  expect(await bug.final()).toMatchObject({ status: 'FAILED', error: 'internal error (after 3 attempts)' });
  await bug.close();
});
