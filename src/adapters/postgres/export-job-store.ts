// ExportJobStore on PostgreSQL SQL (PGlite or a server, through SqlDriver). A job and its outbox
// entry are inserted in one transaction; every write of a run is conditional on its attempt
// number (see migrations/0002_exports.sql), so a superseded run changes nothing.
import type { CallScope } from '../../domain/call-scope.js';
import {
  EXPORT_STATUSES,
  type ExportFormat,
  type ExportJob,
  type ExportStatus,
  type TraceCarrier,
} from '../../domain/exports/export-job.js';
import type { OrderStatus } from '../../domain/order.js';
import type { ExportChunk, ExportJobStore, StaleExportJob } from '../../domain/ports.js';
import type { SqlDriver } from './sql-driver.js';

type JobRow = {
  id: string;
  owner_customer_id: string;
  requester: string;
  idempotency_key: string;
  filter_customer_id: string | null;
  filter_status: OrderStatus | null;
  format: ExportFormat;
  status: ExportStatus;
  orders_total: bigint | string;
  orders_done: bigint | string;
  size_bytes: bigint | string;
  sha256: string;
  error: string;
  attempts: number;
  trace_context: TraceCarrier;
  create_time: Date;
  update_time: Date;
};

const COLUMNS =
  'id, owner_customer_id, requester, idempotency_key, filter_customer_id, filter_status, format, status, orders_total, orders_done, size_bytes, sha256, error, attempts, trace_context, create_time, update_time';

function toJob(row: JobRow): ExportJob {
  return {
    id: row.id,
    ownerCustomerId: row.owner_customer_id,
    requester: row.requester,
    idempotencyKey: row.idempotency_key,
    filter: { customerId: row.filter_customer_id ?? undefined, status: row.filter_status ?? undefined },
    format: row.format,
    status: row.status,
    ordersTotal: Number(row.orders_total),
    ordersDone: Number(row.orders_done),
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    error: row.error,
    attempts: row.attempts,
    traceContext: row.trace_context,
    createTime: row.create_time,
    updateTime: row.update_time,
  };
}

export class PostgresExportJobStore implements ExportJobStore {
  constructor(private readonly sql: SqlDriver) {}

  async create(job: ExportJob, scope?: CallScope): Promise<{ job: ExportJob; created: boolean }> {
    return this.sql.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO export_jobs (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (requester, idempotency_key) WHERE idempotency_key <> '' DO NOTHING
         RETURNING id`,
        [
          job.id,
          job.ownerCustomerId,
          job.requester,
          job.idempotencyKey,
          job.filter.customerId ?? null,
          job.filter.status ?? null,
          job.format,
          job.status,
          job.ordersTotal,
          job.ordersDone,
          job.sizeBytes,
          job.sha256,
          job.error,
          job.attempts,
          JSON.stringify(job.traceContext),
          job.createTime,
          job.updateTime,
        ],
      );
      if (inserted.length === 0) {
        const rows = await tx.query<JobRow>(`SELECT ${COLUMNS} FROM export_jobs WHERE requester = $1 AND idempotency_key = $2`, [
          job.requester,
          job.idempotencyKey,
        ]);
        return { job: toJob(rows[0] as JobRow), created: false };
      }
      await tx.query('INSERT INTO export_outbox (job_id, create_time) VALUES ($1, $2)', [job.id, job.createTime]);
      return { job, created: true };
    }, scope);
  }

  async get(id: string, scope?: CallScope): Promise<ExportJob | undefined> {
    const rows = await this.sql.query<JobRow>(`SELECT ${COLUMNS} FROM export_jobs WHERE id = $1`, [id], scope);
    return rows[0] && toJob(rows[0]);
  }

  async startAttempt(id: string, ordersTotal: number, now: Date): Promise<ExportJob | undefined> {
    const rows = await this.sql.query<JobRow>(
      `UPDATE export_jobs SET status = 'RUNNING', attempts = attempts + 1, orders_total = $2, orders_done = 0, update_time = $3
       WHERE id = $1 AND status IN ('QUEUED', 'RUNNING') RETURNING ${COLUMNS}`,
      [id, ordersTotal, now],
    );
    return rows[0] && toJob(rows[0]);
  }

  async recordProgress(id: string, attempt: number, ordersDone: number, now: Date): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE export_jobs SET orders_done = $3, update_time = $4 WHERE id = $1 AND attempts = $2 AND status = 'RUNNING' RETURNING id`,
      [id, attempt, ordersDone, now],
    );
    return rows.length === 1;
  }

  async writeChunk(id: string, attempt: number, seq: number, chunk: ExportChunk): Promise<void> {
    // A retry of the same attempt's chunk (after a lost reply) replaces it.
    await this.sql.query(
      `INSERT INTO export_chunks (job_id, attempt, seq, start_offset, data) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (job_id, attempt, seq) DO UPDATE SET start_offset = excluded.start_offset, data = excluded.data`,
      [id, attempt, seq, chunk.offset, chunk.data],
    );
  }

  async succeed(
    id: string,
    attempt: number,
    result: { ordersDone: number; sizeBytes: number; sha256: string },
    now: Date,
  ): Promise<ExportJob | undefined> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query<JobRow>(
        `UPDATE export_jobs SET status = 'SUCCEEDED', orders_done = $3, size_bytes = $4, sha256 = $5, error = '', update_time = $6
         WHERE id = $1 AND attempts = $2 AND status = 'RUNNING' RETURNING ${COLUMNS}`,
        [id, attempt, result.ordersDone, result.sizeBytes, result.sha256, now],
      );
      if (rows[0] === undefined) return undefined;
      await tx.query('DELETE FROM export_chunks WHERE job_id = $1 AND attempt <> $2', [id, attempt]);
      return toJob(rows[0]);
    });
  }

  async fail(id: string, attempt: number, reason: string, now: Date): Promise<ExportJob | undefined> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query<JobRow>(
        `UPDATE export_jobs SET status = 'FAILED', error = $3, update_time = $4
         WHERE id = $1 AND attempts = $2 AND status = 'RUNNING' RETURNING ${COLUMNS}`,
        [id, attempt, reason, now],
      );
      if (rows[0] === undefined) return undefined;
      await tx.query('DELETE FROM export_chunks WHERE job_id = $1', [id]);
      return toJob(rows[0]);
    });
  }

  async release(id: string, attempt: number, now: Date): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE export_jobs SET status = 'QUEUED', update_time = $3 WHERE id = $1 AND attempts = $2 AND status = 'RUNNING' RETURNING id`,
      [id, attempt, now],
    );
    return rows.length === 1;
  }

  async readChunks(id: string, attempt: number, offset: number, limit: number, scope?: CallScope): Promise<ExportChunk[]> {
    const rows = await this.sql.query<{ start_offset: bigint | string; data: Uint8Array }>(
      `SELECT start_offset, data FROM export_chunks
       WHERE job_id = $1 AND attempt = $2 AND start_offset + length(data) > $3
       ORDER BY seq LIMIT $4`,
      [id, attempt, offset, limit],
      scope,
    );
    return rows.map((r) => ({ offset: Number(r.start_offset), data: r.data }));
  }

  async pendingDispatch(limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ job_id: string }>('SELECT job_id FROM export_outbox ORDER BY create_time, job_id LIMIT $1', [
      limit,
    ]);
    return rows.map((r) => r.job_id);
  }

  async markDispatched(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sql.query('DELETE FROM export_outbox WHERE job_id = ANY($1::uuid[])', [ids]);
  }

  async unfinished(limit: number): Promise<string[]> {
    const rows = await this.sql.query<{ id: string }>(
      `SELECT id FROM export_jobs WHERE status IN ('QUEUED', 'RUNNING') ORDER BY create_time, id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  async stale(olderThan: Date, limit: number, after?: StaleExportJob): Promise<StaleExportJob[]> {
    const rows = await this.sql.query<{ id: string; update_time: Date }>(
      `SELECT id, update_time FROM export_jobs
       WHERE status IN ('QUEUED', 'RUNNING') AND update_time < $1 AND ($2::timestamptz IS NULL OR (update_time, id) > ($2, $3::uuid))
       ORDER BY update_time, id LIMIT $4`,
      [olderThan, after?.updateTime ?? null, after?.id ?? null, limit],
    );
    return rows.map((r) => ({ id: r.id, updateTime: r.update_time }));
  }

  async deleteFinished(olderThan: Date, limit: number): Promise<number> {
    // SKIP LOCKED: replicas sweeping at once take disjoint jobs; chunks and outbox rows cascade.
    const rows = await this.sql.query(
      `DELETE FROM export_jobs WHERE id IN (
         SELECT id FROM export_jobs WHERE status IN ('SUCCEEDED', 'FAILED') AND update_time < $1
         ORDER BY update_time LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [olderThan, limit],
    );
    return rows.length;
  }

  async countByStatus(): Promise<Readonly<Record<ExportStatus, number>>> {
    const rows = await this.sql.query<{ status: ExportStatus; n: bigint | string }>(
      'SELECT status, count(*) AS n FROM export_jobs GROUP BY status',
    );
    const counts = Object.fromEntries(EXPORT_STATUSES.map((s) => [s, 0])) as Record<ExportStatus, number>;
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }
}
