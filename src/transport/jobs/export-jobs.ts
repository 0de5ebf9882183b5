// The second way in: a queue consumer hands an export job id here, as a gRPC call hands a request
// to a handler. One span per attempt, linked to the ExportOrders call's trace (its context is
// stored with the job), log lines with the job id and both trace ids, and the attempt's metrics.
import {
  context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { ANY_ACTOR } from '../../domain/actor.js';
import type { ExportUseCases } from '../../domain/exports/export-use-cases.js';
import { ExportAttemptFailed } from '../../domain/exports/run-export-job.js';
import type { ExportMetrics, JobHandler } from '../../domain/ports.js';
import type { Logger } from '../../platform/logger.js';

export type ExportJobDeps = Readonly<{
  exports: ExportUseCases;
  log: Logger;
  tracer: Tracer;
  propagator: TextMapPropagator;
  metrics: ExportMetrics;
}>;

export function exportJobHandler({ exports, log, tracer, propagator, metrics }: ExportJobDeps): JobHandler {
  return async (jobId, signal) => {
    const job = await exports.get(jobId, ANY_ACTOR).catch(() => undefined);
    const requestContext = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, job?.traceContext ?? {}, defaultTextMapGetter));
    const span = tracer.startSpan('orderflow.exports.v1/RunExportJob', {
      kind: SpanKind.CONSUMER,
      links: requestContext === undefined ? [] : [{ context: requestContext }],
      attributes: { 'messaging.operation.type': 'process', 'orderflow.export.job_id': jobId },
    });
    const traceId = span.spanContext().traceId;
    const jobLog = log.child({
      job_id: jobId,
      trace_id: traceId,
      ...(requestContext === undefined ? {} : { request_trace_id: requestContext.traceId }),
    });
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    jobLog.info({ format: job?.format, attempt: (job?.attempts ?? 0) + 1 }, 'export job started');
    try {
      const result = await context.with(trace.setSpan(ROOT_CONTEXT, span), () => exports.run(jobId, signal));
      span.setAttribute('orderflow.export.outcome', result.outcome);
      if (result.outcome === 'succeeded') {
        jobLog.info(
          { orders: result.job.ordersDone, size_bytes: result.job.sizeBytes, attempt: result.job.attempts, duration_s: seconds() },
          'export job succeeded',
        );
        metrics.attemptEnded('succeeded', seconds());
      } else if (result.outcome === 'failed') {
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
        jobLog.error({ err: result.cause, reason: result.reason, attempt: result.job.attempts }, 'export job failed; no attempts left');
        metrics.attemptEnded('failed', seconds());
      } else {
        jobLog.info(
          { outcome: result.outcome, status: result.job?.status },
          'export job not run: already final or taken over by another run',
        );
        metrics.attemptEnded('skipped', seconds());
      }
    } catch (error) {
      if (signal.aborted) {
        jobLog.warn('export job interrupted by shutdown; handed back as QUEUED');
        metrics.attemptEnded('released', seconds());
      } else {
        span.setStatus({ code: SpanStatusCode.ERROR });
        const attempt = error instanceof ExportAttemptFailed ? error.attempt : undefined;
        jobLog.warn(
          { err: error instanceof ExportAttemptFailed ? error.cause : error, attempt },
          'export job attempt failed; it will be retried',
        );
        metrics.attemptEnded('retried', seconds());
      }
      throw error;
    } finally {
      span.end();
    }
  };
}
