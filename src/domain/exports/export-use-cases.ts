// The export use cases (one per file beside this one), built together from the same deps.
import { createExport } from './create-export.js';
import { dispatchExports } from './dispatch-exports.js';
import { downloadExport } from './download-export.js';
import type { ExportDeps } from './export-deps.js';
import { getExportJob } from './get-export-job.js';
import { runExportJob } from './run-export-job.js';
import { watchExportJob } from './watch-export-job.js';

export function exportUseCases(deps: ExportDeps) {
  return {
    create: createExport(deps),
    get: getExportJob(deps),
    watch: watchExportJob(deps),
    download: downloadExport(deps),
    run: runExportJob(deps),
  };
}

export type ExportUseCases = ReturnType<typeof exportUseCases>;
export { dispatchExports };
