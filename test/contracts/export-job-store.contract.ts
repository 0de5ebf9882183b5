// The ExportJobStore contract, run against every store (memory, PGlite, PostgreSQL).
import { describe, expect, test } from 'vitest';
import type { ExportJob } from '../../src/domain/exports/export-job.js';
import type { ExportJobStore } from '../../src/domain/ports.js';
import { sequentialIds } from '../support/builders.js';

const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

export function anExportJob(overrides: Partial<ExportJob> = {}): ExportJob {
  return {
    id: '00000000-0000-7000-8000-0000000000aa',
    ownerCustomerId: 'customer-1',
    requester: 'customer-1',
    idempotencyKey: '',
    filter: { customerId: 'customer-1', status: undefined },
    format: 'CSV',
    status: 'QUEUED',
    ordersTotal: 0,
    ordersDone: 0,
    sizeBytes: 0,
    sha256: '',
    error: '',
    attempts: 0,
    traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    createTime: t(0),
    updateTime: t(0),
    ...overrides,
  };
}

const bytes = (...values: number[]) => Uint8Array.from(values);

export function exportJobStoreContract(name: string, open: () => Promise<ExportJobStore>): void {
  describe(`ExportJobStore contract: ${name}`, () => {
    const ids = sequentialIds();
    const job = (overrides: Partial<ExportJob> = {}) => anExportJob({ id: ids(), ...overrides });

    test('create stores the job intact with an outbox entry; markDispatched removes the entry', async () => {
      const store = await open();
      const j = job({ filter: { customerId: undefined, status: 'PAID' }, format: 'NDJSON' });
      expect(await store.create(j)).toEqual({ job: j, created: true });
      expect(await store.get(j.id)).toEqual(j);
      expect(await store.pendingDispatch(10)).toEqual([j.id]);
      await store.markDispatched([j.id]);
      expect(await store.pendingDispatch(10)).toEqual([]);
      expect(await store.get(ids())).toBeUndefined();
    });

    test('the same requester and key returns the first job and writes nothing; other requesters are apart', async () => {
      const store = await open();
      const first = job({ requester: 'r', idempotencyKey: 'k' });
      await store.create(first);
      expect(await store.create(job({ requester: 'r', idempotencyKey: 'k', format: 'NDJSON' }))).toEqual({ job: first, created: false });
      expect(await store.pendingDispatch(10)).toEqual([first.id]);
      expect((await store.create(job({ requester: 'other', idempotencyKey: 'k' }))).created).toBe(true);
      const [a, b] = await Promise.all([
        store.create(job({ requester: 'race', idempotencyKey: 'k' })),
        store.create(job({ requester: 'race', idempotencyKey: 'k' })),
      ]);
      expect([a.created, b.created].sort()).toEqual([false, true]);
      expect(a.job.id).toBe(b.job.id);
    });

    test('an attempt runs, records progress and succeeds; a final job starts no attempt', async () => {
      const store = await open();
      const j = job();
      await store.create(j);
      const running = await store.startAttempt(j.id, 3, t(1));
      expect(running).toMatchObject({ status: 'RUNNING', attempts: 1, ordersTotal: 3, ordersDone: 0, updateTime: t(1) });
      expect(await store.recordProgress(j.id, 1, 2, t(2))).toBe(true);
      expect(await store.get(j.id)).toMatchObject({ ordersDone: 2, updateTime: t(2) });
      await store.writeChunk(j.id, 1, 0, { offset: 0, data: bytes(1, 2, 3) });
      await store.writeChunk(j.id, 1, 1, { offset: 3, data: bytes(4, 5) });
      const done = await store.succeed(j.id, 1, { ordersDone: 3, sizeBytes: 5, sha256: 'ab'.repeat(32) }, t(3));
      expect(done).toMatchObject({ status: 'SUCCEEDED', ordersDone: 3, sizeBytes: 5, sha256: 'ab'.repeat(32), updateTime: t(3) });
      expect(await store.get(j.id)).toEqual(done);
      expect(await store.startAttempt(j.id, 3, t(4))).toBeUndefined();
      expect(await store.unfinished(10)).toEqual([]);
    });

    test('readChunks returns the chunks ending after the offset, ascending, within the limit', async () => {
      const store = await open();
      const j = job();
      await store.create(j);
      await store.startAttempt(j.id, 0, t(1));
      for (let seq = 0; seq < 4; seq++) await store.writeChunk(j.id, 1, seq, { offset: seq * 2, data: bytes(seq * 2, seq * 2 + 1) });
      await store.succeed(j.id, 1, { ordersDone: 0, sizeBytes: 8, sha256: '' }, t(2));
      const all = await store.readChunks(j.id, 1, 0, 10);
      expect(all.map((c) => [c.offset, [...c.data]])).toEqual([
        [0, [0, 1]],
        [2, [2, 3]],
        [4, [4, 5]],
        [6, [6, 7]],
      ]);
      const from3 = await store.readChunks(j.id, 1, 3, 2);
      expect(from3.map((c) => c.offset)).toEqual([2, 4]);
      expect(await store.readChunks(j.id, 1, 8, 10)).toEqual([]);
    });

    test('a superseded attempt can no longer write progress, succeed, fail or release; success drops its chunks', async () => {
      const store = await open();
      const j = job();
      await store.create(j);
      await store.startAttempt(j.id, 1, t(1));
      await store.writeChunk(j.id, 1, 0, { offset: 0, data: bytes(9, 9, 9) });
      const second = await store.startAttempt(j.id, 1, t(2)); // the first worker is presumed dead
      expect(second?.attempts).toBe(2);
      expect(await store.recordProgress(j.id, 1, 1, t(3))).toBe(false);
      expect(await store.release(j.id, 1, t(3))).toBe(false);
      expect(await store.fail(j.id, 1, 'late', t(3))).toBeUndefined();
      expect(await store.succeed(j.id, 1, { ordersDone: 1, sizeBytes: 3, sha256: 'x' }, t(3))).toBeUndefined();
      await store.writeChunk(j.id, 2, 0, { offset: 0, data: bytes(7) });
      expect(await store.succeed(j.id, 2, { ordersDone: 1, sizeBytes: 1, sha256: 'y' }, t(4))).toMatchObject({
        status: 'SUCCEEDED',
        attempts: 2,
      });
      expect((await store.readChunks(j.id, 1, 0, 10)).length).toBe(0);
      expect((await store.readChunks(j.id, 2, 0, 10)).map((c) => [...c.data])).toEqual([[7]]);
    });

    test('release puts a running job back to QUEUED; fail keeps the reason; unfinished and countByStatus see them', async () => {
      const store = await open();
      const a = job();
      const b = job();
      const c = job();
      for (const x of [a, b, c]) await store.create(x);
      await store.startAttempt(a.id, 0, t(1));
      expect(await store.release(a.id, 1, t(2))).toBe(true);
      expect(await store.get(a.id)).toMatchObject({ status: 'QUEUED', attempts: 1 });
      await store.startAttempt(b.id, 0, t(1));
      await store.writeChunk(b.id, 1, 0, { offset: 0, data: bytes(1) });
      expect(await store.fail(b.id, 1, 'the store is unavailable (after 1 attempt)', t(2))).toMatchObject({
        status: 'FAILED',
        error: 'the store is unavailable (after 1 attempt)',
      });
      expect(await store.readChunks(b.id, 1, 0, 10)).toEqual([]);
      await store.startAttempt(c.id, 0, t(1));
      expect(await store.unfinished(10)).toEqual([a.id, c.id]);
      expect(await store.countByStatus()).toEqual({ QUEUED: 1, RUNNING: 1, SUCCEEDED: 0, FAILED: 1 });
    });

    test('stale: QUEUED and RUNNING jobs unchanged before the bound, oldest first, in keyset pages', async () => {
      const store = await open();
      const queuedOld = job({ updateTime: t(1) });
      const runningOld = job();
      const queuedNew = job({ updateTime: t(50) });
      const finishedOld = job({ updateTime: t(1) });
      const failedOld = job({ updateTime: t(1) });
      const sameTime = job({ updateTime: t(3) });
      for (const x of [queuedOld, runningOld, queuedNew, finishedOld, failedOld, sameTime]) await store.create(x);
      await store.startAttempt(runningOld.id, 0, t(3)); // RUNNING since t(3), no progress since
      await store.startAttempt(finishedOld.id, 0, t(1));
      await store.succeed(finishedOld.id, 1, { ordersDone: 0, sizeBytes: 0, sha256: '' }, t(2));
      await store.startAttempt(failedOld.id, 0, t(1));
      await store.fail(failedOld.id, 1, 'no', t(2));

      const all = await store.stale(t(10), 10);
      expect(all).toEqual([
        { id: queuedOld.id, updateTime: t(1) },
        ...[runningOld.id, sameTime.id].sort().map((id) => ({ id, updateTime: t(3) })),
      ]);
      // Pages of one continue after the cursor, also between rows of the same time.
      const first = await store.stale(t(10), 1);
      const second = await store.stale(t(10), 1, first[0]);
      const third = await store.stale(t(10), 1, second[0]);
      expect([...first, ...second, ...third]).toEqual(all);
      expect(await store.stale(t(10), 1, third[0])).toEqual([]);
      // The bound is exclusive; progress makes a running job fresh again.
      expect((await store.stale(t(3), 10)).map((j) => j.id)).toEqual([queuedOld.id]);
      expect(await store.recordProgress(runningOld.id, 1, 5, t(20))).toBe(true);
      expect((await store.stale(t(10), 10)).map((j) => j.id)).toEqual([queuedOld.id, sameTime.id]);
    });

    test('deleteFinished removes old SUCCEEDED and FAILED jobs with their chunks, in bounded batches; recent and unfinished ones stay', async () => {
      const store = await open();
      const finish = async (status: 'SUCCEEDED' | 'FAILED', at: number, key = '') => {
        const j = job({ requester: 'r', idempotencyKey: key });
        await store.create(j);
        await store.startAttempt(j.id, 1, t(at));
        await store.writeChunk(j.id, 1, 0, { offset: 0, data: bytes(1, 2) });
        if (status === 'SUCCEEDED') await store.succeed(j.id, 1, { ordersDone: 1, sizeBytes: 2, sha256: 'ab' }, t(at));
        else await store.fail(j.id, 1, 'no', t(at));
        return j;
      };
      const oldDone = await finish('SUCCEEDED', 1, 'old-key');
      const oldFailed = await finish('FAILED', 2);
      const oldDone2 = await finish('SUCCEEDED', 3);
      const recent = await finish('SUCCEEDED', 30);
      const unfinished = job({ updateTime: t(0) });
      await store.create(unfinished);
      const running = job();
      await store.create(running);
      await store.startAttempt(running.id, 1, t(0));

      expect(await store.deleteFinished(t(10), 2)).toBe(2);
      expect(await store.deleteFinished(t(10), 2)).toBe(1);
      expect(await store.deleteFinished(t(10), 2)).toBe(0);
      for (const gone of [oldDone, oldFailed, oldDone2]) {
        expect(await store.get(gone.id)).toBeUndefined();
        expect(await store.readChunks(gone.id, 1, 0, 10)).toEqual([]);
      }
      expect(await store.get(recent.id)).toMatchObject({ status: 'SUCCEEDED' });
      expect((await store.readChunks(recent.id, 1, 0, 10)).map((c) => [...c.data])).toEqual([[1, 2]]);
      expect(await store.get(unfinished.id)).toMatchObject({ status: 'QUEUED' });
      expect(await store.get(running.id)).toMatchObject({ status: 'RUNNING' });
      expect(await store.countByStatus()).toEqual({ QUEUED: 1, RUNNING: 1, SUCCEEDED: 1, FAILED: 0 });
      // The deleted job's idempotency key is free again: a new request with it is a new job.
      expect((await store.create(job({ requester: 'r', idempotencyKey: 'old-key' }))).created).toBe(true);
      // Two sweeps at once delete each job once.
      await finish('SUCCEEDED', 4);
      await finish('FAILED', 5);
      await finish('SUCCEEDED', 6);
      const counts = await Promise.all([store.deleteFinished(t(10), 10), store.deleteFinished(t(10), 10)]);
      expect(counts[0] + counts[1]).toBe(3);
    });

    test('a chunk written again by the same attempt replaces the first copy', async () => {
      const store = await open();
      const j = job();
      await store.create(j);
      await store.startAttempt(j.id, 0, t(1));
      await store.writeChunk(j.id, 1, 0, { offset: 0, data: bytes(1) });
      await store.writeChunk(j.id, 1, 0, { offset: 0, data: bytes(2) });
      await store.succeed(j.id, 1, { ordersDone: 0, sizeBytes: 1, sha256: '' }, t(2));
      expect((await store.readChunks(j.id, 1, 0, 10)).map((c) => [...c.data])).toEqual([[2]]);
    });
  });
}
