// The reconcile sweep and retention on the embedded default's pieces (memory store, in-process
// runner), with a clock of the test's own: a job whose outbox entry went but that the runner does
// not hold is enqueued once it is stale, not before; a job the runner holds (running) is left
// alone; finished jobs go after the retention, unfinished and recent ones stay.
import { expect, test } from 'vitest';
import { InProcessJobQueue } from '../../src/adapters/in-process-job-queue.js';
import { MemoryExportJobStore } from '../../src/adapters/memory/memory-export-job-store.js';
import { reconcileExports } from '../../src/domain/exports/reconcile-exports.js';
import { anExportJob } from '../contracts/export-job-store.contract.js';
import { sequentialIds } from '../support/builders.js';
import { until } from '../support/until.js';

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));

test('stale unfinished jobs the runner does not hold are enqueued; held ones are not; retention deletes old finished jobs', async () => {
  const jobs = new MemoryExportJobStore();
  const ids = sequentialIds();
  const queue = new InProcessJobQueue({ concurrency: 1, initialBackoffMs: 1, maxBackoffMs: 1 });
  const runs: string[] = [];
  let finish!: () => void;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  queue.consume(async (id) => {
    runs.push(id);
    await gate;
  });
  let clock = at(0);
  const reconcile = reconcileExports({ jobs, queue, now: () => clock, settings: { staleAfterMs: 5 * 60_000, retentionMs: 60 * 60_000 } });

  // Dispatched once, then the process that held it died: the outbox entry is gone, nothing runs it.
  const lost = anExportJob({ id: ids(), createTime: at(0), updateTime: at(0) });
  await jobs.create(lost);
  await jobs.markDispatched([lost.id]);
  const done = anExportJob({ id: ids() });
  await jobs.create(done);
  await jobs.startAttempt(done.id, 0, at(0));
  await jobs.succeed(done.id, 1, { ordersDone: 0, sizeBytes: 0, sha256: '' }, at(1));

  clock = at(4);
  expect(await reconcile()).toEqual({ requeued: [], deleted: 0 });
  clock = at(6);
  expect(await reconcile()).toEqual({ requeued: [lost.id], deleted: 0 });
  await until('the runner runs the lost job', () => runs.length === 1);
  expect(runs).toEqual([lost.id]);
  // Still QUEUED in the store (the handler here writes nothing) but held by the runner: left alone.
  clock = at(30);
  expect(await reconcile()).toEqual({ requeued: [], deleted: 0 });

  clock = at(62);
  expect(await reconcile()).toEqual({ requeued: [], deleted: 1 });
  expect(await jobs.get(done.id)).toBeUndefined();
  expect(await jobs.get(lost.id)).toMatchObject({ status: 'QUEUED' });
  finish();
  expect(await queue.close(10_000)).toBe(true);
});
