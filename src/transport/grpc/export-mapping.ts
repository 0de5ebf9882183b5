// Export proto messages to and from domain values. No logic beyond the mapping.
import { invalidField } from '../../domain/errors.js';
import type { ExportFormat, ExportJob, ExportStatus } from '../../domain/exports/export-job.js';
import {
  ExportFormat as ProtoExportFormat,
  type ExportJob as ProtoExportJob,
  ExportJobStatus as ProtoExportJobStatus,
} from '../../gen/orderflow/exports/v1/export_service.js';
import { toTimestamp } from './proto-values.js';

const TO_PROTO_FORMAT: Readonly<Record<ExportFormat, ProtoExportFormat>> = {
  CSV: ProtoExportFormat.EXPORT_FORMAT_CSV,
  NDJSON: ProtoExportFormat.EXPORT_FORMAT_NDJSON,
};

const TO_PROTO_STATUS: Readonly<Record<ExportStatus, ProtoExportJobStatus>> = {
  QUEUED: ProtoExportJobStatus.EXPORT_JOB_STATUS_QUEUED,
  RUNNING: ProtoExportJobStatus.EXPORT_JOB_STATUS_RUNNING,
  SUCCEEDED: ProtoExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED,
  FAILED: ProtoExportJobStatus.EXPORT_JOB_STATUS_FAILED,
};

const FROM_PROTO_FORMAT = new Map<ProtoExportFormat, ExportFormat>(
  Object.entries(TO_PROTO_FORMAT).map(([domain, proto]) => [proto, domain as ExportFormat]),
);

/** undefined for EXPORT_FORMAT_UNSPECIFIED (the use case says it is required); INVALID for unknown numbers. */
export function fromProtoFormat(format: ProtoExportFormat): ExportFormat | undefined {
  if (format === ProtoExportFormat.EXPORT_FORMAT_UNSPECIFIED) return undefined;
  const known = FROM_PROTO_FORMAT.get(format);
  if (known === undefined) throw invalidField('format', `unknown format ${String(format)}`);
  return known;
}

export function toProtoExportJob(job: ExportJob): ProtoExportJob {
  return {
    id: job.id,
    status: TO_PROTO_STATUS[job.status],
    format: TO_PROTO_FORMAT[job.format],
    ordersTotal: BigInt(job.ordersTotal),
    ordersDone: BigInt(job.ordersDone),
    sizeBytes: BigInt(job.sizeBytes),
    sha256: job.sha256,
    error: job.error,
    createTime: toTimestamp(job.createTime),
    updateTime: toTimestamp(job.updateTime),
  };
}
