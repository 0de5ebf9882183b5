// In-process EventSignal: writers in this process call notify() after each commit. Enough when
// one process owns the store (the embedded store); replicas sharing PostgreSQL need a
// cross-process signal behind the same port.
import type { EventSignal } from '../domain/ports.js';

export class LocalEventSignal implements EventSignal {
  private latest = 0n;
  private readonly waiters = new Set<() => void>();

  notify(sequence: bigint): void {
    if (sequence > this.latest) this.latest = sequence;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  wait(afterSequence: bigint, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    if (this.latest > afterSequence) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(wake);
        reject(signal.reason as Error);
      };
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
