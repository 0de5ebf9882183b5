// WatchExportJob: the current state at once, then each change, ending after a final state. It
// re-reads the job row whenever the ExportJobSignal says it may have changed (a notification for
// the job, or the safety-net poll). Each wait is registered BEFORE the read it guards: a change
// committed between a read and the next wait (while the stream sends a state) would otherwise wake
// nobody and be seen only at the next poll.
import type { Actor } from '../actor.js';
import type { CallScope } from '../call-scope.js';
import type { ExportDeps } from './export-deps.js';
import { type ExportJob, isFinal, parseExportJobId, visibleTo } from './export-job.js';

function changed(a: ExportJob, b: ExportJob): boolean {
  return (
    a.status !== b.status ||
    a.ordersDone !== b.ordersDone ||
    a.ordersTotal !== b.ordersTotal ||
    a.attempts !== b.attempts ||
    a.updateTime.getTime() !== b.updateTime.getTime()
  );
}

export function watchExportJob({ jobs, changes }: Pick<ExportDeps, 'jobs' | 'changes'>) {
  /** Checks the id and visibility before the first state is sent (errors are the call's status). */
  return async (id: string, actor: Actor, scope: CallScope): Promise<AsyncGenerator<ExportJob, void, undefined>> => {
    const jobId = parseExportJobId(id);
    const nextChange = () => {
      const wake = changes.wait(jobId, scope.signal);
      wake.catch(() => {}); // a stream that ends first leaves it to its abort; awaited below otherwise
      return wake;
    };
    let wake = nextChange();
    const first = visibleTo(await jobs.get(jobId, scope), jobId, actor);
    return (async function* follow() {
      let last = first;
      yield last;
      while (!isFinal(last.status)) {
        await wake;
        wake = nextChange();
        const next = await jobs.get(jobId, scope);
        if (next === undefined) return;
        if (changed(last, next)) yield next;
        last = next;
      }
    })();
  };
}
