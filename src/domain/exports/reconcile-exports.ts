// The periodic export maintenance. The store, not the queue, is the record of what must run: the
// outbox entry goes once the queue accepted a job, so a queue that then loses it (a Redis without
// persistence restarting, a FLUSH), gives it up (BullMQ past maxStalledCount) or drops its entry
// would leave the job QUEUED or RUNNING forever. So every round looks at the unfinished jobs whose
// row has not changed for `staleAfterMs` (a running job refreshes its row with each progress
// write, so a healthy one is never among them) and asks the queue to make sure each is waiting or
// running — the queue leaves alone what it holds, and a re-queued run's new attempt fences off
// any old one. Then retention deletes finished jobs (and their files) older than `retentionMs`,
// in bounded batches. Every step is idempotent, so several replicas may run it at once.
import type { Clock, ExportJobStore, JobQueue, StaleExportJob } from '../ports.js';

export type ReconcileSettings = Readonly<{
  /** An unfinished job whose row has not changed this long is checked against the queue. */
  staleAfterMs: number;
  /** Finished jobs whose row has not changed this long are deleted. */
  retentionMs: number;
}>;

export type ReconcileResult = Readonly<{ requeued: readonly string[]; deleted: number }>;

/** Jobs looked at per store query. */
const PAGE = 100;
/** Stale jobs checked per round; the next round continues after the last (a long backlog waiting in the queue is not rechecked first each time). */
const CHECKS_PER_ROUND = 1000;
/** Finished jobs deleted per statement (each carries its file's chunks), and per round. */
const DELETE_BATCH = 20;
const DELETES_PER_ROUND = 1000;

export function reconcileExports({
  jobs,
  queue,
  now,
  settings,
}: {
  jobs: ExportJobStore;
  queue: JobQueue;
  now: Clock;
  settings: ReconcileSettings;
}) {
  let cursor: StaleExportJob | undefined;

  /** One round; resolves with the ids it re-queued and how many finished jobs it deleted. Rejects when the store or queue fails (the next round tries again). */
  return async (): Promise<ReconcileResult> => {
    const time = now().getTime();
    const requeued: string[] = [];
    for (let checked = 0; checked < CHECKS_PER_ROUND;) {
      const page = await jobs.stale(new Date(time - settings.staleAfterMs), PAGE, cursor);
      for (const job of page) {
        if (await queue.ensureQueued(job.id)) requeued.push(job.id);
        cursor = job;
      }
      checked += page.length;
      if (page.length < PAGE) {
        cursor = undefined;
        break;
      }
    }
    let deleted = 0;
    while (deleted < DELETES_PER_ROUND) {
      const n = await jobs.deleteFinished(new Date(time - settings.retentionMs), DELETE_BATCH);
      deleted += n;
      if (n < DELETE_BATCH) break;
    }
    return { requeued, deleted };
  };
}
