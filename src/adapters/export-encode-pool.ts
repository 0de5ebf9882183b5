// OrderPageEncoder on a small pool of worker threads (exports.encodeThreads), so that encoding
// an export's pages does not take the event loop that serves gRPC calls. Measured first
// (bench/export-page-costs.ts): cloning 500 domain Orders into a thread costs the loop about what
// encoding them as CSV does, so a page travels as flat columns (order-columns.ts, ~4x cheaper) and
// comes back as bytes by transfer; hashing and 64 KiB chunking stay on the loop (~0.1 ms a page).
// node:worker_threads rather than piscina: a dozen lines of queueing is all this needs.
//
// Threads start on first use (a server that never exports spends none), take one page at a time,
// and are replaced after a crash: the crashed page's promise rejects, so its attempt fails and is
// retried; nothing waits for a reply that will not come. close() ends them (wiring closers).
import { Worker } from 'node:worker_threads';
import type { ExportFormat } from '../domain/exports/export-job.js';
import type { Order } from '../domain/order.js';
import type { OrderPageEncoder } from '../domain/ports.js';
import type { EncodeReply, EncodeRequest } from './export-encode-task.js';
import { exportHeader } from './export-encoders.js';
import { toColumns } from './order-columns.js';

type Task = { request: EncodeRequest; resolve: (bytes: Uint8Array) => void; reject: (error: Error) => void };
type Thread = { worker: Worker; task: Task | undefined };

export type EncodePoolOptions = Readonly<{
  /** Threads at most (≥ 1). */
  threads: number;
  /** The thread's entry (tests swap in one that crashes); export-encode-worker beside this file by default. */
  entry?: URL;
}>;

/**
 * The thread's entry: export-encode-worker.js once built. Run from TypeScript sources (tests,
 * tsx), a worker inherits no TypeScript loader, so it registers tsx first (as pglite-driver.ts does).
 */
function startWorker(entry: URL | undefined): Worker {
  const url =
    entry ?? new URL(import.meta.url.endsWith('.ts') ? './export-encode-worker.ts' : './export-encode-worker.js', import.meta.url);
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const href = JSON.stringify(url.href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${href}); });`, { eval: true });
}

export class ThreadPageEncoder implements OrderPageEncoder {
  private readonly threads: Thread[] = [];
  private readonly waiting: Task[] = [];
  private nextId = 1;
  private closed = false;
  /** Threads that ended unexpectedly (crashed, killed), for tests and logs. */
  crashes = 0;

  constructor(private readonly options: EncodePoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new RangeError('threads must be a positive integer');
  }

  header(format: ExportFormat): Uint8Array {
    return exportHeader(format);
  }

  encodePage(format: ExportFormat, orders: readonly Order[]): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('the export encoding threads are closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { id: this.nextId++, format, columns: toColumns(orders) }, resolve, reject });
      this.drain();
    });
  }

  /** Threads running now (started lazily, at most `threads`). */
  get size(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.waiting.splice(0)) task.reject(new Error('the export encoding threads are closed'));
    await Promise.all(this.threads.map(({ worker }) => worker.terminate()));
  }

  private drain(): void {
    while (this.waiting.length > 0 && !this.closed) {
      const thread =
        this.threads.find((t) => t.task === undefined) ?? (this.threads.length < this.options.threads ? this.spawn() : undefined);
      if (thread === undefined) return;
      const task = this.waiting.shift() as Task;
      thread.task = task;
      thread.worker.ref();
      const { times, itemCounts, quantities } = task.request.columns;
      thread.worker.postMessage(task.request, [times.buffer, itemCounts.buffer, quantities.buffer] as ArrayBuffer[]);
    }
  }

  private spawn(): Thread {
    const thread: Thread = { worker: startWorker(this.options.entry), task: undefined };
    this.threads.push(thread);
    const settle = (reply: EncodeReply) => {
      const task = thread.task;
      thread.task = undefined;
      thread.worker.unref();
      if (task !== undefined && task.request.id === reply.id) {
        if (reply.ok) task.resolve(reply.bytes);
        else task.reject(new Error(`export encoding failed: ${reply.message}`));
      }
      this.drain();
    };
    const gone = (why: string) => {
      const at = this.threads.indexOf(thread);
      if (at < 0) return; // 'error' and 'exit' both report one end
      this.threads.splice(at, 1);
      if (!this.closed) this.crashes++;
      thread.task?.reject(new Error(`an export encoding thread ended (${why}) while encoding a page`));
      thread.task = undefined;
      this.drain(); // a replacement for whatever still waits
    };
    thread.worker.on('message', settle);
    thread.worker.on('error', (error) => gone(error.message));
    thread.worker.on('exit', (code) => gone(`exit code ${code}`));
    thread.worker.unref();
    return thread;
  }
}
