// DownloadExport: a SUCCEEDED job's file from `offset`, in stored chunks of at most 64 KiB, read
// a few at a time so that memory stays bounded whatever the file's size. A job deleted by
// retention in the middle of a download ends it NOT_FOUND.
import type { Actor } from '../actor.js';
import type { CallScope } from '../call-scope.js';
import { DomainError, invalidField } from '../errors.js';
import type { ExportChunk } from '../ports.js';
import type { ExportDeps } from './export-deps.js';
import { parseExportJobId, visibleTo } from './export-job.js';

/** Chunks fetched per query: 1 MiB at most in flight. */
const CHUNKS_PER_READ = 16;

export function downloadExport({ jobs }: Pick<ExportDeps, 'jobs'>) {
  /** Checks everything before the first chunk: the errors become the call's status. */
  return async (id: string, offset: number, actor: Actor, scope: CallScope): Promise<AsyncGenerator<ExportChunk, void, undefined>> => {
    const jobId = parseExportJobId(id);
    if (!Number.isSafeInteger(offset) || offset < 0) throw invalidField('offset', 'must not be negative');
    const job = visibleTo(await jobs.get(jobId, scope), jobId, actor);
    if (job.status !== 'SUCCEEDED')
      throw new DomainError('ILLEGAL_STATE', `export job ${jobId} has not succeeded (it is ${job.status}); download it once it has`);
    if (offset > job.sizeBytes)
      throw new DomainError('OUT_OF_RANGE', `offset ${offset} is past the end of the file (${job.sizeBytes} bytes)`);
    return (async function* chunks() {
      let position = offset;
      while (position < job.sizeBytes) {
        const batch = await jobs.readChunks(jobId, job.attempts, position, CHUNKS_PER_READ, scope);
        if (batch.length === 0) {
          // Retention deleted the job (and its file) while it was being downloaded: say so.
          if ((await jobs.get(jobId, scope)) === undefined)
            throw new DomainError('NOT_FOUND', `export job ${jobId} was deleted (exports.retentionHours) during the download`);
          throw new Error(`export job ${jobId}: the file ends at ${position} of ${job.sizeBytes} bytes`);
        }
        for (const chunk of batch) {
          const skip = position - chunk.offset;
          if (skip >= chunk.data.length) continue;
          const data = skip > 0 ? chunk.data.subarray(skip) : chunk.data;
          yield { offset: position, data };
          position += data.length;
        }
      }
    })();
  };
}
