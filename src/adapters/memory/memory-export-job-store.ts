// In-memory ExportJobStore: the fake held to the same contract as the SQL store. Each method
// reads and writes without awaiting in between, so it is atomic. Every change of a job is told to
// the listeners of onChange (what the SQL stores' trigger notifies across processes; this store
// has one process), after the change, so a woken watcher reads the new state.
import { EXPORT_STATUSES, type ExportJob, type ExportStatus } from '../../domain/exports/export-job.js';
import type { ExportChunk, ExportJobStore, StaleExportJob } from '../../domain/ports.js';

type Chunk = ExportChunk & { attempt: number; seq: number };

export class MemoryExportJobStore implements ExportJobStore {
  private readonly jobs = new Map<string, ExportJob>();
  private readonly byKey = new Map<string, string>();
  private readonly outbox = new Set<string>();
  private readonly chunks = new Map<string, Chunk[]>();
  private readonly listeners = new Set<(id: string) => void>();

  /** Calls `listener` with the id of every job created or changed from now on; returns the unsubscribe. */
  onChange(listener: (id: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  create(job: ExportJob): Promise<{ job: ExportJob; created: boolean }> {
    const key = job.idempotencyKey === '' ? undefined : JSON.stringify([job.requester, job.idempotencyKey]);
    const existing = key === undefined ? undefined : this.byKey.get(key);
    if (existing !== undefined) return Promise.resolve({ job: this.jobs.get(existing) as ExportJob, created: false });
    this.jobs.set(job.id, job);
    if (key !== undefined) this.byKey.set(key, job.id);
    this.outbox.add(job.id);
    this.changed(job.id);
    return Promise.resolve({ job, created: true });
  }

  get(id: string): Promise<ExportJob | undefined> {
    return Promise.resolve(this.jobs.get(id));
  }

  startAttempt(id: string, ordersTotal: number, now: Date): Promise<ExportJob | undefined> {
    const job = this.jobs.get(id);
    if (job === undefined || (job.status !== 'QUEUED' && job.status !== 'RUNNING')) return Promise.resolve(undefined);
    return Promise.resolve(
      this.put({ ...job, status: 'RUNNING', attempts: job.attempts + 1, ordersTotal, ordersDone: 0, updateTime: now }),
    );
  }

  recordProgress(id: string, attempt: number, ordersDone: number, now: Date): Promise<boolean> {
    const job = this.current(id, attempt);
    if (job !== undefined) this.put({ ...job, ordersDone, updateTime: now });
    return Promise.resolve(job !== undefined);
  }

  writeChunk(id: string, attempt: number, seq: number, chunk: ExportChunk): Promise<void> {
    const list = (this.chunks.get(id) ?? []).filter((c) => !(c.attempt === attempt && c.seq === seq));
    list.push({ offset: chunk.offset, data: Uint8Array.from(chunk.data), attempt, seq });
    this.chunks.set(id, list);
    return Promise.resolve();
  }

  succeed(
    id: string,
    attempt: number,
    result: { ordersDone: number; sizeBytes: number; sha256: string },
    now: Date,
  ): Promise<ExportJob | undefined> {
    const job = this.current(id, attempt);
    if (job === undefined) return Promise.resolve(undefined);
    this.chunks.set(
      id,
      (this.chunks.get(id) ?? []).filter((c) => c.attempt === attempt),
    );
    return Promise.resolve(this.put({ ...job, ...result, status: 'SUCCEEDED', error: '', updateTime: now }));
  }

  fail(id: string, attempt: number, reason: string, now: Date): Promise<ExportJob | undefined> {
    const job = this.current(id, attempt);
    if (job === undefined) return Promise.resolve(undefined);
    this.chunks.delete(id);
    return Promise.resolve(this.put({ ...job, status: 'FAILED', error: reason, updateTime: now }));
  }

  release(id: string, attempt: number, now: Date): Promise<boolean> {
    const job = this.current(id, attempt);
    if (job !== undefined) this.put({ ...job, status: 'QUEUED', updateTime: now });
    return Promise.resolve(job !== undefined);
  }

  readChunks(id: string, attempt: number, offset: number, limit: number): Promise<ExportChunk[]> {
    const list = (this.chunks.get(id) ?? [])
      .filter((c) => c.attempt === attempt && c.offset + c.data.length > offset)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
    return Promise.resolve(list.map((c) => ({ offset: c.offset, data: c.data })));
  }

  pendingDispatch(limit: number): Promise<string[]> {
    return Promise.resolve([...this.outbox].slice(0, limit));
  }

  markDispatched(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.outbox.delete(id);
    return Promise.resolve();
  }

  unfinished(limit: number): Promise<string[]> {
    const open = [...this.jobs.values()].filter((j) => j.status === 'QUEUED' || j.status === 'RUNNING');
    return Promise.resolve(open.slice(0, limit).map((j) => j.id));
  }

  countByStatus(): Promise<Readonly<Record<ExportStatus, number>>> {
    const counts = Object.fromEntries(EXPORT_STATUSES.map((s) => [s, 0])) as Record<ExportStatus, number>;
    for (const job of this.jobs.values()) counts[job.status]++;
    return Promise.resolve(counts);
  }

  stale(olderThan: Date, limit: number, after?: StaleExportJob): Promise<StaleExportJob[]> {
    const key = (j: StaleExportJob) => [j.updateTime.getTime(), j.id] as const;
    const before = (a: readonly [number, string], b: readonly [number, string]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
    const found = [...this.jobs.values()]
      .filter((j) => (j.status === 'QUEUED' || j.status === 'RUNNING') && j.updateTime < olderThan)
      .filter((j) => after === undefined || before(key(after), key(j)))
      .sort((a, b) => (before(key(a), key(b)) ? -1 : before(key(b), key(a)) ? 1 : 0))
      .slice(0, limit);
    return Promise.resolve(found.map((j) => ({ id: j.id, updateTime: j.updateTime })));
  }

  deleteFinished(olderThan: Date, limit: number): Promise<number> {
    const old = [...this.jobs.values()]
      .filter((j) => (j.status === 'SUCCEEDED' || j.status === 'FAILED') && j.updateTime < olderThan)
      .sort((a, b) => a.updateTime.getTime() - b.updateTime.getTime())
      .slice(0, limit);
    for (const job of old) {
      this.jobs.delete(job.id);
      this.chunks.delete(job.id);
      this.outbox.delete(job.id);
      if (job.idempotencyKey !== '') this.byKey.delete(JSON.stringify([job.requester, job.idempotencyKey]));
    }
    return Promise.resolve(old.length);
  }

  private current(id: string, attempt: number): ExportJob | undefined {
    const job = this.jobs.get(id);
    return job !== undefined && job.attempts === attempt && job.status === 'RUNNING' ? job : undefined;
  }

  private put(job: ExportJob): ExportJob {
    this.jobs.set(job.id, job);
    this.changed(job.id);
    return job;
  }

  private changed(id: string): void {
    for (const listener of this.listeners) listener(id);
  }
}
