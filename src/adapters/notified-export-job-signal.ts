// ExportJobSignal woken by change notifications, with a poll as the safety net. Whatever hears
// that a job changed calls notify(id): on SQL stores the process's ListenHub (a trigger notifies
// orderflow_export_jobs with the job id on every change of the row, from any process), on the
// in-memory store the store itself (one process). Waiters are indexed by job id, so a
// notification costs a map lookup however many jobs are watched, and wakes only that job's
// watchers. Each wait also resolves after `fallbackMs` without a notification: a lost one (sent
// while LISTEN was down) delays a watcher by at most that; after a LISTEN reconnect, wakeAll()
// makes every watcher re-read at once.
import type { ExportJobSignal } from '../domain/ports.js';

export class NotifiedExportJobSignal implements ExportJobSignal {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly fallbackMs: number) {}

  /** Job `id` may have changed: wakes its waiters. */
  notify(id: string): void {
    const set = this.waiters.get(id.toLowerCase());
    if (set === undefined) return;
    this.waiters.delete(id.toLowerCase());
    for (const wake of set) wake();
  }

  /** Any job may have changed (notifications were lost): wakes every waiter. */
  wakeAll(): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const set of all) for (const wake of set) wake();
  }

  /** Waits now registered (for tests and metrics). */
  waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  wait(id: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const key = id.toLowerCase();
    return new Promise((resolve, reject) => {
      const settle = (done: () => void) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const set = this.waiters.get(key);
        set?.delete(wake);
        if (set?.size === 0) this.waiters.delete(key);
        done();
      };
      const wake = () => settle(resolve);
      const onAbort = () => settle(() => reject(signal.reason as Error));
      const timer = setTimeout(wake, this.fallbackMs);
      let set = this.waiters.get(key);
      if (set === undefined) this.waiters.set(key, (set = new Set()));
      set.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
