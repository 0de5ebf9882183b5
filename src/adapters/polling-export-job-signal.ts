// ExportJobSignal by polling: a watcher re-reads the job row every `intervalMs`. Bounded load (one
// primary-key read per watcher per interval) and it sees a worker in any process. The seam for
// the cross-process event signal: an implementation that resolves on a NOTIFY for the job, with
// this interval as its fallback, replaces it in src/wiring/exports.ts.
import type { ExportJobSignal } from '../domain/ports.js';

export class PollingExportJobSignal implements ExportJobSignal {
  constructor(private readonly intervalMs: number) {}

  wait(_id: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, this.intervalMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
