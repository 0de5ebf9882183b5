// ExportJobSignal by polling alone: a watcher re-reads the job row every `intervalMs`. Bounded load
// (one primary-key read per watcher per interval), no notifications needed: for tests and tools.
// Processes use NotifiedExportJobSignal (woken by the job's change notification, this interval
// as its safety net), wired in src/wiring/exports.ts.
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
