// GetExportJob: the job's current state, for its owner or an administrator (NOT_FOUND for anyone else).
import type { Actor } from '../actor.js';
import { type CallScope, UNBOUNDED } from '../call-scope.js';
import type { ExportDeps } from './export-deps.js';
import { type ExportJob, parseExportJobId, visibleTo } from './export-job.js';

export function getExportJob({ jobs }: Pick<ExportDeps, 'jobs'>) {
  return async (id: string, actor: Actor, scope: CallScope = UNBOUNDED): Promise<ExportJob> => {
    const jobId = parseExportJobId(id);
    return visibleTo(await jobs.get(jobId, scope), jobId, actor);
  };
}
