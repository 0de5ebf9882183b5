// JobQueue on BullMQ (exports.queue.kind: bullmq): the producer side (any server) and the consumer
// side (workers). The BullMQ job id is the export job id, so handing a job over twice (the
// outbox's at-least-once dispatch) adds it once. The job row, not BullMQ's attempt counter,
// decides when retries end (run-export-job.ts); BullMQ supplies the capped exponential backoff,
// stall detection (a killed worker's job goes to another) and the waiting list.
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobHandler, JobQueue } from '../../domain/ports.js';
import { backoffMs } from '../in-process-job-queue.js';

export type BullmqSettings = Readonly<{
  host: string;
  port: number;
  db: number;
  username?: string | undefined;
  password?: string | undefined;
  prefix: string;
  queueName: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  connectTimeoutMs: number;
}>;

/** BullMQ's own attempt limit is set out of reach: the job row's attempts end the retries. */
const BULLMQ_ATTEMPTS = 1000;

function connection(settings: BullmqSettings, forWorker: boolean) {
  return {
    host: settings.host,
    port: settings.port,
    db: settings.db,
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    connectTimeout: settings.connectTimeoutMs,
    // Workers block on Redis and must never give a command up (BullMQ requires null); the
    // producer fails fast instead, and the outbox retries.
    maxRetriesPerRequest: forWorker ? null : 1,
    ...(forWorker ? {} : { enableOfflineQueue: false }),
  };
}

/**
 * What BullMQ needs of its Redis, from INFO (which managed Redis allows where CONFIG is disabled):
 * the maxmemory-policy (it needs `noeviction`: an evicted job key corrupts the queue) and whether
 * an append-only file keeps the queue across a restart.
 */
export async function redisQueueFacts(settings: BullmqSettings): Promise<{ evictionPolicy: string; appendOnly: boolean }> {
  const redis = new Redis({
    ...connection(settings, false),
    lazyConnect: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    const info = await redis.info();
    return { evictionPolicy: /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown', appendOnly: /^aof_enabled:1/m.test(info) };
  } finally {
    redis.disconnect();
  }
}

export class BullmqJobQueue implements JobQueue {
  private readonly queue: Queue;

  constructor(private readonly settings: BullmqSettings) {
    this.queue = new Queue(settings.queueName, { connection: connection(settings, false), prefix: settings.prefix });
    this.queue.on('error', () => {}); // reported by the calls that fail (dispatch logs them)
  }

  async enqueue(jobId: string): Promise<void> {
    await this.queue.add(
      'export',
      { jobId },
      {
        jobId,
        attempts: BULLMQ_ATTEMPTS,
        backoff: { type: 'capped-exponential' },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  /**
   * Looks the job up by id: waiting, delayed or active is left alone; absent (Redis lost it),
   * completed or failed (BullMQ gave it up, e.g. maxStalledCount exceeded) is removed and added
   * again. BullMQ refuses to remove a job a worker holds locked, so a sweep racing another (or a
   * worker that just took the job) adds nothing twice: the second add of one id is ignored.
   */
  async ensureQueued(jobId: string): Promise<boolean> {
    const state = await this.queue.getJobState(jobId);
    if (state !== 'unknown' && state !== 'completed' && state !== 'failed') return false;
    if (state !== 'unknown' || (await this.queue.getJob(jobId)) !== undefined) {
      if ((await this.queue.remove(jobId)) !== 1) return false; // locked: a worker has it now
    }
    await this.enqueue(jobId);
    return true;
  }

  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('wait', 'prioritized', 'delayed');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export type ConsumerOptions = Readonly<{
  concurrency: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  onError: (error: Error) => void;
  /** Told when close() ran out of time and cancels the running jobs. */
  onCancel?: () => void;
}>;

/** A BullMQ worker running `handler` for each job it takes. */
export class BullmqConsumer {
  private readonly worker: Worker;

  constructor(
    settings: BullmqSettings,
    handler: JobHandler,
    private readonly options: ConsumerOptions,
  ) {
    this.worker = new Worker(
      settings.queueName,
      async (job: Job<{ jobId: string }>, token?: string, signal?: AbortSignal) => {
        const controller = new AbortController();
        signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
        try {
          await handler(job.data.jobId, controller.signal);
        } catch (error) {
          if (!controller.signal.aborted) throw error;
          // Released at shutdown: back to the waiting list at once, without using up an attempt.
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
      },
      {
        connection: connection(settings, true),
        prefix: settings.prefix,
        concurrency: options.concurrency,
        lockDuration: settings.lockDurationMs,
        stalledInterval: settings.stalledIntervalMs,
        maxStalledCount: settings.maxStalledCount,
        autorun: false,
        settings: { backoffStrategy: (attemptsMade: number) => backoffMs(attemptsMade, options.initialBackoffMs, options.maxBackoffMs) },
      },
    );
    this.worker.on('error', options.onError);
  }

  /** Starts taking jobs. */
  start(): void {
    void this.worker.run().catch(() => {}); // errors surface through the 'error' event
  }

  /** Cancels the running jobs now (a second signal): each hands its job back. */
  cancelRunning(): void {
    this.worker.cancelAllJobs('the worker is shutting down now');
  }

  /**
   * Takes no more jobs and lets the running ones finish within `timeoutMs`; then cancels them:
   * each hands its job back (QUEUED, and waiting in BullMQ) for another worker. Resolves true
   * when all finished in time.
   */
  async close(timeoutMs: number): Promise<boolean> {
    const closing = this.worker.close();
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      closing.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      this.options.onCancel?.();
      this.worker.cancelAllJobs('the worker is shutting down');
      await closing;
    }
    return inTime;
  }
}
