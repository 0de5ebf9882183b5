// The ExportJobSignal contract: how WatchExportJob waits for a job to change. `open` gives a signal
// and the store whose writes it must hear (in this process for the in-memory store; for SQL stores
// a writer on another connection, heard through LISTEN only). The safety-net poll is given as
// `fallbackMs`: an hour in every test but the one about the fallback, so a wake-up there can only
// come from a notification. Wake-ups are awaited, never timed (the suite's timeout only catches one
// that never comes); "still pending" is checked after a short pause, which can only hide a bug.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { describe, expect, test } from 'vitest';
import type { ExportJobSignal, ExportJobStore } from '../../src/domain/ports.js';
import { anExportJob } from './export-job-store.contract.js';

export type OpenedExportJobSignal = Readonly<{ signal: ExportJobSignal; writer: ExportJobStore }>;

const HOUR = 3_600_000;
const now = () => new Date();
const pending = async (promise: Promise<unknown>, ms = 100) =>
  Promise.race([
    promise.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);

export function exportJobSignalContract(name: string, open: (fallbackMs: number) => Promise<OpenedExportJobSignal>): void {
  describe(`ExportJobSignal contract: ${name}`, () => {
    const forever = () => new AbortController().signal;
    /** A new job whose creation has been heard already (so its notification wakes no later wait). */
    const created = async (signal: ExportJobSignal, writer: ExportJobStore) => {
      const id = randomUUID();
      const heard = signal.wait(id, forever());
      await writer.create(anExportJob({ id }));
      await heard;
      return id;
    };

    test('a wait for a job resolves when the job is created', async () => {
      const { signal, writer } = await open(HOUR);
      const id = randomUUID();
      const waiting = signal.wait(id, forever());
      expect(await pending(waiting)).toBe('pending');
      await writer.create(anExportJob({ id }));
      await expect(waiting).resolves.toBeUndefined();
    });

    test('every kind of change wakes the job’s waiter: start, progress, release, success, failure', async () => {
      const { signal, writer } = await open(HOUR);
      const id = await created(signal, writer);
      const steps: [string, () => Promise<unknown>][] = [
        ['startAttempt', () => writer.startAttempt(id, 10, now())],
        ['recordProgress', () => writer.recordProgress(id, 1, 5, now())],
        ['release', () => writer.release(id, 1, now())],
        ['startAttempt again', () => writer.startAttempt(id, 10, now())],
        ['succeed', () => writer.succeed(id, 2, { ordersDone: 10, sizeBytes: 0, sha256: 'x' }, now())],
      ];
      for (const [what, change] of steps) {
        const waiting = signal.wait(id, forever());
        await change();
        await expect(waiting, what).resolves.toBeUndefined();
      }
      const other = await created(signal, writer);
      await writer.startAttempt(other, 1, now());
      const waiting = signal.wait(other, forever());
      await writer.fail(other, 1, 'reason', now());
      await expect(waiting).resolves.toBeUndefined();
    });

    test('a change of one job wakes only that job’s waiters, among many', async () => {
      const { signal, writer } = await open(HOUR);
      const ids = await Promise.all(Array.from({ length: 5 }, () => created(signal, writer)));
      const target = ids[2] as string;
      const done = new AbortController();
      setMaxListeners(0, done.signal);
      const others = Array.from({ length: 1000 }, (_, i) => signal.wait(i % 5 === 2 ? randomUUID() : (ids[i % 5] as string), done.signal));
      for (const waiting of others) waiting.catch(() => {});
      const mine = [signal.wait(target, forever()), signal.wait(target.toUpperCase(), forever())];
      await writer.startAttempt(target, 1, now());
      await expect(Promise.all(mine)).resolves.toEqual([undefined, undefined]);
      expect(await pending(Promise.race(others))).toBe('pending');
      done.abort(new Error('test over'));
    });

    test('a change already heard wakes no later wait', async () => {
      const { signal, writer } = await open(HOUR);
      const id = await created(signal, writer);
      const heard = signal.wait(id, forever());
      await writer.startAttempt(id, 1, now());
      await heard;
      const done = new AbortController();
      const waiting = signal.wait(id, done.signal);
      waiting.catch(() => {});
      expect(await pending(waiting)).toBe('pending');
      done.abort(new Error('test over'));
    });

    test('without any change, a wait resolves after the fallback interval (the safety net)', async () => {
      const { signal } = await open(50);
      await expect(signal.wait(randomUUID(), forever())).resolves.toBeUndefined();
    });

    test('wait rejects with the abort reason when its signal aborts, also if already aborted', async () => {
      const { signal } = await open(HOUR);
      const abort = new AbortController();
      const waiting = signal.wait(randomUUID(), abort.signal);
      abort.abort(new Error('stop'));
      await expect(waiting).rejects.toThrow('stop');
      await expect(signal.wait(randomUUID(), abort.signal)).rejects.toThrow('stop');
    });
  });
}
