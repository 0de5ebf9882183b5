// An export job: what was asked (filter, format), by whom, and how far its run has got. The
// ownership rule and the job's state machine live here; storage and queues are ports.
import type { Actor } from '../actor.js';
import { DomainError, invalidField, notFound } from '../errors.js';
import type { OrderStatus } from '../order.js';

export const EXPORT_FORMATS = ['CSV', 'NDJSON'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** Which orders an export holds, as ListOrders filters them (undefined: no filter). */
export type ExportFilter = Readonly<{ customerId: string | undefined; status: OrderStatus | undefined }>;

/** W3C trace context (traceparent, tracestate) of the call that asked for the export. */
export type TraceCarrier = Readonly<Record<string, string>>;

export type ExportJob = Readonly<{
  id: string;
  /** The customer who owns the job and alone (with administrators) may see it; '' for an administrator's job. */
  ownerCustomerId: string;
  /** Who asked (the principal's subject): idempotency keys are scoped to it. */
  requester: string;
  /** '' when the caller sent none. */
  idempotencyKey: string;
  filter: ExportFilter;
  format: ExportFormat;
  status: ExportStatus;
  ordersTotal: number;
  ordersDone: number;
  sizeBytes: number;
  /** Lower-case hex, '' until SUCCEEDED. */
  sha256: string;
  /** Why the job FAILED, in words a client may see; '' otherwise. */
  error: string;
  /** Attempts started so far; the current one writes the file (older ones are fenced off). */
  attempts: number;
  traceContext: TraceCarrier;
  createTime: Date;
  updateTime: Date;
}>;

/** The largest chunk of a file in the store and on the wire. */
export const EXPORT_CHUNK_BYTES = 64 * 1024;

export const EXPORT_LIMITS = { idempotencyKeyLength: 128 } as const;

export function isFinal(status: ExportStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED';
}

/** The job if `actor` may see it; NOT_FOUND otherwise, so that other customers' job ids reveal nothing. */
export function visibleTo(job: ExportJob | undefined, id: string, actor: Actor): ExportJob {
  if (job === undefined || (actor.kind === 'customer' && job.ownerCustomerId !== actor.customerId)) throw notFound('export job', id);
  return job;
}

/** Export job ids are UUIDs; anything else is INVALID (field `id`). */
export function parseExportJobId(value: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return value.toLowerCase();
  throw invalidField('id', 'must be the UUID of an export job');
}

/** What a retry with the same key must match to be answered with the first job. */
export function sameRequest(job: ExportJob, filter: ExportFilter, format: ExportFormat): boolean {
  return job.format === format && job.filter.customerId === filter.customerId && job.filter.status === filter.status;
}

export function keyReusedError(key: string, job: ExportJob): DomainError {
  return new DomainError(
    'ALREADY_EXISTS',
    `idempotency key ${JSON.stringify(key)} was already used by this caller for export job ${job.id} with another filter or format`,
  );
}
