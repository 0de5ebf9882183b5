// JobQueue in this process (exports.queue.kind: memory), the embedded default: jobs run on this
// process's event loop, `concurrency` at a time, retried with exponential backoff up to a limit.
// Nothing is held here that the store does not also hold: after a restart the runner is fed the
// store's QUEUED and RUNNING jobs again (src/wiring/exports.ts), so none is lost.
import type { JobHandler, JobQueue } from '../domain/ports.js';

export type InProcessQueueOptions = Readonly<{
  concurrency: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Told of each failed run that will be retried (the handler already logged why). */
  onRetry?: (jobId: string, retry: number, backoffMs: number) => void;
}>;

export function backoffMs(retry: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, retry - 1));
}

export class InProcessJobQueue implements JobQueue {
  private readonly waiting: string[] = [];
  /** Ids waiting, running or due for a retry: enqueuing one of them again is a no-op. */
  private readonly known = new Set<string>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly retries = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private handler: JobHandler | undefined;
  private closing = false;

  constructor(private readonly options: InProcessQueueOptions) {}

  enqueue(jobId: string): Promise<void> {
    if (!this.closing && !this.known.has(jobId)) {
      this.known.add(jobId);
      this.waiting.push(jobId);
      this.pump();
    }
    return Promise.resolve();
  }

  depth(): Promise<number> {
    return Promise.resolve(this.waiting.length);
  }

  /** A job this runner does not hold (waiting, running or due for a retry) is enqueued. */
  ensureQueued(jobId: string): Promise<boolean> {
    const add = !this.closing && !this.known.has(jobId);
    if (add) void this.enqueue(jobId);
    return Promise.resolve(add);
  }

  /** Starts running jobs with `handler`. */
  consume(handler: JobHandler): void {
    this.handler = handler;
    this.pump();
  }

  /**
   * Takes no more jobs and waits up to `timeoutMs` for the running ones; then aborts those left
   * (they hand their jobs back to the store as QUEUED). Resolves true when all finished in time.
   */
  async close(timeoutMs: number): Promise<boolean> {
    this.closing = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const all = () => Promise.allSettled([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      all().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      for (const { controller } of this.running.values()) controller.abort(new DOMException('the runner is shutting down', 'AbortError'));
      await all();
    }
    return inTime;
  }

  /** Aborts the running jobs now (a second signal): each hands its job back. */
  abortRunning(): void {
    for (const { controller } of this.running.values()) controller.abort(new DOMException('the runner is shutting down now', 'AbortError'));
  }

  private pump(): void {
    const handler = this.handler;
    while (handler !== undefined && !this.closing && this.running.size < this.options.concurrency && this.waiting.length > 0) {
      this.start(handler, this.waiting.shift() as string);
    }
  }

  private start(handler: JobHandler, jobId: string): void {
    const controller = new AbortController();
    const done = handler(jobId, controller.signal)
      .then(
        () => this.forget(jobId),
        () => (controller.signal.aborted || this.closing ? this.forget(jobId) : this.retryLater(jobId)),
      )
      .finally(() => {
        this.running.delete(jobId);
        this.pump();
      });
    this.running.set(jobId, { controller, done });
  }

  private retryLater(jobId: string): void {
    const retry = (this.retries.get(jobId) ?? 0) + 1;
    this.retries.set(jobId, retry);
    const delay = backoffMs(retry, this.options.initialBackoffMs, this.options.maxBackoffMs);
    this.options.onRetry?.(jobId, retry, delay);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.waiting.push(jobId);
      this.pump();
    }, delay);
    this.timers.add(timer);
  }

  private forget(jobId: string): void {
    this.known.delete(jobId);
    this.retries.delete(jobId);
  }
}
