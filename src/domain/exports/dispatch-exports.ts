// The outbox dispatcher: hands jobs whose creation committed to the queue, then removes their
// outbox entries. A crash in between hands them over again, which is harmless: the queue ignores
// an id it holds, and a run of a job that is already final does nothing.
import type { ExportJobStore, JobQueue } from '../ports.js';

/** Outbox entries handed over per round. */
const BATCH = 100;

export function dispatchExports({ jobs, queue }: { jobs: ExportJobStore; queue: JobQueue }) {
  /** Dispatches every pending entry; resolves with how many were handed over. */
  return async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const ids = await jobs.pendingDispatch(BATCH);
      for (const id of ids) await queue.enqueue(id);
      await jobs.markDispatched(ids);
      total += ids.length;
      if (ids.length < BATCH) return total;
    }
  };
}
