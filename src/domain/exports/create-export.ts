// ExportOrders: records a QUEUED job (and its outbox entry) and answers at once; a retry with
// the same requester + key gets the first job back.
import { type Actor, customerScope } from '../actor.js';
import { type CallScope, UNBOUNDED } from '../call-scope.js';
import { Violations } from '../errors.js';
import type { OrderStatus } from '../order.js';
import type { ExportDeps } from './export-deps.js';
import { EXPORT_LIMITS, type ExportFormat, type ExportJob, keyReusedError, sameRequest, type TraceCarrier } from './export-job.js';

export type ExportRequest = Readonly<{
  customerId: string;
  status: OrderStatus | undefined;
  /** undefined when the caller named none (INVALID). */
  format: ExportFormat | undefined;
  idempotencyKey: string;
}>;

/** Who asks: the actor (ownership), its subject (idempotency scope) and the call's trace context. */
export type ExportCaller = Readonly<{ actor: Actor; requester: string; traceContext: TraceCarrier }>;

export function createExport({ jobs, now, newId, onCreated }: Pick<ExportDeps, 'jobs' | 'now' | 'newId' | 'onCreated'>) {
  return async (
    request: ExportRequest,
    caller: ExportCaller,
    scope: CallScope = UNBOUNDED,
  ): Promise<{ job: ExportJob; created: boolean }> => {
    const violations = new Violations();
    if (request.format === undefined) violations.add('format', 'is required: EXPORT_FORMAT_CSV or EXPORT_FORMAT_NDJSON');
    if (request.idempotencyKey.length > EXPORT_LIMITS.idempotencyKeyLength)
      violations.add('idempotency_key', `must be at most ${EXPORT_LIMITS.idempotencyKeyLength} characters`);
    violations.throwIfAny();
    const { actor } = caller;
    const customerId = customerScope(actor, request.customerId);
    const filter = { customerId: customerId === '' ? undefined : customerId, status: request.status };
    const format = request.format as ExportFormat;
    const time = now();
    const job: ExportJob = {
      id: newId(),
      ownerCustomerId: actor.kind === 'customer' ? actor.customerId : '',
      requester: caller.requester,
      idempotencyKey: request.idempotencyKey,
      filter,
      format,
      status: 'QUEUED',
      ordersTotal: 0,
      ordersDone: 0,
      sizeBytes: 0,
      sha256: '',
      error: '',
      attempts: 0,
      traceContext: caller.traceContext,
      createTime: time,
      updateTime: time,
    };
    const result = await jobs.create(job, scope);
    if (!result.created && !sameRequest(result.job, filter, format)) throw keyReusedError(request.idempotencyKey, result.job);
    if (result.created) onCreated?.(result.job.id);
    return result;
  };
}
