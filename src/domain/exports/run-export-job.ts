// Runs one attempt of an export job: reads the filter's orders in keyset pages (newest first, as
// ListOrders), encodes them (through OrderPageEncoder: maybe on a worker thread, one page at a
// time, so at most one page is in flight per job), and writes the file as numbered 64 KiB chunks with its SHA-256, so
// memory stays bounded whatever the export's size. The attempt number fences off a run that was
// superseded: only the current attempt can store progress or finish the job, and finishing drops
// every other attempt's chunks, so a re-run replaces the file instead of duplicating it.
import { DomainError } from '../errors.js';
import type { ExportDeps } from './export-deps.js';
import { EXPORT_CHUNK_BYTES, type ExportJob, isFinal } from './export-job.js';

export type RunOutcome =
  | Readonly<{ outcome: 'succeeded'; job: ExportJob }>
  /** Every attempt failed: the job is FAILED with `reason`; `cause` is for the log only. */
  | Readonly<{ outcome: 'failed'; job: ExportJob; reason: string; cause: unknown }>
  /** Nothing to do: the job is final or absent (a duplicate delivery), or another run took it over. */
  | Readonly<{ outcome: 'skipped' | 'superseded'; job: ExportJob | undefined }>;

/** Thrown by a run that must be retried: the job is QUEUED again; `attempt` failed with `cause`. */
export class ExportAttemptFailed extends Error {
  override readonly name = 'ExportAttemptFailed';
  constructor(
    readonly jobId: string,
    readonly attempt: number,
    cause: unknown,
  ) {
    super(`export job ${jobId}: attempt ${attempt} failed`, { cause });
  }
}

class Superseded extends Error {}

/** The words a client may see: a DomainError says what went wrong; anything else stays in the log. */
function publicReason(error: unknown, attempts: number): string {
  const what = error instanceof DomainError ? error.message : 'internal error';
  return `${what} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
}

export function runExportJob(deps: Pick<ExportDeps, 'jobs' | 'orders' | 'encoders' | 'sha256' | 'now' | 'settings'>) {
  const { jobs, now, settings } = deps;

  /**
   * Runs the job's next attempt. Resolves when the job is final (or not this run's to finish);
   * rejects with ExportAttemptFailed when it should be retried, and with `signal`'s reason when
   * aborted (shutdown) — in both cases the job is QUEUED again for whoever runs it next.
   */
  return async (id: string, signal: AbortSignal): Promise<RunOutcome> => {
    const before = await jobs.get(id);
    if (before === undefined || isFinal(before.status)) return { outcome: 'skipped', job: before };
    const total = await deps.orders.count(before.filter);
    const job = await jobs.startAttempt(id, total, now());
    if (job === undefined) return { outcome: 'skipped', job: await jobs.get(id) };
    const attempt = job.attempts;
    try {
      const file = await writeFile(deps, job, signal);
      const done = await jobs.succeed(id, attempt, file, now());
      return done === undefined ? { outcome: 'superseded', job: await jobs.get(id) } : { outcome: 'succeeded', job: done };
    } catch (error) {
      if (error instanceof Superseded) return { outcome: 'superseded', job: await jobs.get(id) };
      if (signal.aborted) {
        await jobs.release(id, attempt, now());
        throw error;
      }
      if (attempt >= settings.maxAttempts) {
        const reason = publicReason(error, attempt);
        const failed = await jobs.fail(id, attempt, reason, now());
        return failed === undefined
          ? { outcome: 'superseded', job: await jobs.get(id) }
          : { outcome: 'failed', job: failed, reason, cause: error };
      }
      await jobs.release(id, attempt, now());
      throw new ExportAttemptFailed(id, attempt, error);
    }
  };
}

async function writeFile(
  deps: Pick<ExportDeps, 'jobs' | 'orders' | 'encoders' | 'sha256' | 'now' | 'settings'>,
  job: ExportJob,
  signal: AbortSignal,
) {
  const { jobs, orders, settings, now } = deps;
  const { encoders } = deps;
  const hash = deps.sha256();
  const attempt = job.attempts;
  let chunk = new Uint8Array(EXPORT_CHUNK_BYTES);
  let filled = 0;
  let written = 0; // bytes in chunks already stored
  let seq = 0;
  const flush = async () => {
    await jobs.writeChunk(job.id, attempt, seq++, { offset: written, data: chunk.subarray(0, filled) });
    written += filled;
    chunk = new Uint8Array(EXPORT_CHUNK_BYTES);
    filled = 0;
  };
  const append = async (bytes: Uint8Array) => {
    hash.update(bytes);
    for (let at = 0; at < bytes.length;) {
      const n = Math.min(EXPORT_CHUNK_BYTES - filled, bytes.length - at);
      chunk.set(bytes.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === EXPORT_CHUNK_BYTES) await flush();
    }
  };

  const header = encoders.header(job.format);
  if (header.length > 0) await append(header);
  let ordersDone = 0;
  let beforeId = '';
  let lastProgress = now().getTime();
  for (;;) {
    signal.throwIfAborted();
    const page = await orders.list({ ...job.filter, beforeId, limit: settings.pageSize });
    if (page.length > 0) await append(await encoders.encodePage(job.format, page));
    ordersDone += page.length;
    if (page.length < settings.pageSize) break;
    beforeId = (page.at(-1) as { id: string }).id;
    const time = now();
    if (time.getTime() - lastProgress >= settings.progressIntervalMs) {
      lastProgress = time.getTime();
      if (!(await jobs.recordProgress(job.id, attempt, ordersDone, time))) throw new Superseded();
    }
  }
  if (filled > 0) await flush();
  return { ordersDone, sizeBytes: written, sha256: hash.hex() };
}
