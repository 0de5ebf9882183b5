// What the export halves of the drills share (kill-9, redis-outage): a redis-server of the drill's
// own for BullMQ, the config overrides that put export jobs on it (the API server records jobs,
// `node dist/cmd/worker.js` runs them), the built worker as a child process, orders seeded in
// bulk by SQL, and the download of a finished file with its size and SHA-256.
import { createHash } from 'node:crypto';
import { ExportJobStatus, type ExportJob } from '../src/gen/orderflow/exports/v1/export_service.js';
import type { Clients } from '../test/support/clients.js';
import { OwnRedisServer } from '../test/support/redis.js';
import { spawnServer } from '../test/support/server-process.js';
import type { DrillDatabase } from './harness.js';

export const workerEntry = ['dist/cmd/worker.js'] as const;

/** BullMQ needs noeviction; `persistent` adds an append-only file so a restarted Redis still has the queue. */
export const startQueueRedis = (persistent = false) =>
  OwnRedisServer.start(['--maxmemory-policy', 'noeviction', ...(persistent ? ['--appendonly', 'yes'] : [])]);

/**
 * Config overrides for export jobs on BullMQ at `redisPort`. The lock and stalled check are
 * lowered from 30 s so that a killed worker's job is taken over in seconds.
 */
export function bullmqExports(redisPort: number, prefix: string, extra: Record<string, unknown> = {}) {
  return {
    services: { exports: false },
    exports: {
      queue: { kind: 'bullmq', host: '127.0.0.1', port: redisPort, prefix, lockDurationMs: 2000, stalledIntervalMs: 1000 },
      concurrency: 1,
      ...extra,
    },
  };
}

const live = new Set<{ kill: () => void }>();
process.on('exit', () => {
  for (const child of live) child.kill();
});

export type DrillWorker = Awaited<ReturnType<typeof startDrillWorker>>;

/** Starts `node dist/cmd/worker.js` with `configYaml`; resolves once it takes export jobs. */
export async function startDrillWorker(configYaml: string) {
  const spawned = spawnServer(configYaml, {}, workerEntry);
  const handle = { kill: () => spawned.child.kill('SIGKILL') };
  live.add(handle);
  void spawned.exited.then(() => live.delete(handle));
  let ready;
  try {
    ready = await spawned.output.waitFor((l) => l.msg === 'worker taking export jobs');
  } catch (error) {
    spawned.child.kill('SIGKILL');
    spawned.cleanup();
    throw error;
  }
  return {
    ...spawned,
    pid: spawned.child.pid!,
    /** Its admin listener (health, metrics). */
    adminUrl: `http://${ready.admin as string}`,
    /** SIGKILL (if still running), wait for the exit, remove the config file. */
    async dispose(): Promise<void> {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGKILL');
      await spawned.exited;
      spawned.cleanup();
    },
  };
}

/** `count` orders in one statement (2 items each, 100 customers), as bench/exports.ts seeds them. */
export async function seedOrders(db: DrillDatabase, count: number): Promise<void> {
  await db.query(
    `INSERT INTO orders (id, customer_id, status, currency_code, total_minor, items, version, idempotency_key, create_time, update_time)
    SELECT ('01900000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'customer-' || (i % 100), 'PENDING', 'EUR', 2900 + i % 7,
           jsonb_build_array(jsonb_build_object('productId', 'espresso', 'quantity', 2, 'unitPriceMinor', '1250'), jsonb_build_object('productId', 'cup', 'quantity', 1, 'unitPriceMinor', (400 + i % 7)::text)),
           1, '', now(), now()
    FROM generate_series(1, $1::int) AS i`,
    [count],
  );
}

export type JobRow = {
  id: string;
  status: string;
  attempts: number;
  orders_done: string;
  orders_total: string;
  size_bytes: string;
  sha256: string;
};

/** The job's row, read by SQL. */
export async function jobRow(db: DrillDatabase, id: string): Promise<JobRow | undefined> {
  return (
    await db.query<JobRow>(
      'SELECT id::text, status, attempts, orders_done::text, orders_total::text, size_bytes::text, sha256 FROM export_jobs WHERE id = $1',
      [id],
    )
  )[0];
}

/** The attempts that have chunks stored for the job, and the chunk count and bytes of each. */
export async function chunkAttempts(db: DrillDatabase, id: string) {
  return db.query<{ attempt: number; chunks: string; bytes: string; distinct_seq: string }>(
    `SELECT attempt, count(*)::text AS chunks, sum(length(data))::text AS bytes, count(DISTINCT seq)::text AS distinct_seq
       FROM export_chunks WHERE job_id = $1 GROUP BY attempt ORDER BY attempt`,
    [id],
  );
}

/** Downloads the whole file; its size and lower-case hex SHA-256. */
export async function downloadDigest(api: Clients, id: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of api.exports.downloadExport({ id, offset: 0n })) {
    hash.update(chunk.data);
    bytes += chunk.data.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

export const statusOf = (job: ExportJob | undefined) => (job === undefined ? 'none' : (ExportJobStatus[job.status] ?? String(job.status)));
