// WatchExportJob: the current state at once, then each change, ending after a final state. It
// re-reads the job row whenever the ExportJobSignal says it may have changed (a bounded poll
// today; a cross-process event later, behind the same port).
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
    const first = visibleTo(await jobs.get(jobId, scope), jobId, actor);
    return (async function* follow() {
      let last = first;
      yield last;
      while (!isFinal(last.status)) {
        await changes.wait(jobId, scope.signal);
        const next = await jobs.get(jobId, scope);
        if (next === undefined) return;
        if (changed(last, next)) yield next;
        last = next;
      }
    })();
  };
}
