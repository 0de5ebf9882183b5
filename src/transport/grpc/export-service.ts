// gRPC handlers for orderflow.exports.v1.ExportService: map, call one use case, map back. The
// call's trace context is stored with the job so that the run's span links to this call.
import { context, defaultTextMapSetter, type TextMapPropagator } from '@opentelemetry/api';
import type { ServiceImplementation } from 'nice-grpc';
import type { TraceCarrier } from '../../domain/exports/export-job.js';
import type { ExportUseCases } from '../../domain/exports/export-use-cases.js';
import type { ExportServiceDefinition } from '../../gen/orderflow/exports/v1/export_service.js';
import { fromProtoFormat, toProtoExportJob } from './export-mapping.js';
import { fromProtoStatus } from './order-mapping.js';
import { actorOf } from './orderflow-scopes.js';
import type { AppCallContext } from './server-call.js';

function currentTraceCarrier(propagator: TextMapPropagator): TraceCarrier {
  const carrier: Record<string, string> = {};
  propagator.inject(context.active(), carrier, defaultTextMapSetter);
  return carrier;
}

export function exportService(
  exports: ExportUseCases,
  propagator: TextMapPropagator,
): ServiceImplementation<typeof ExportServiceDefinition, AppCallContext> {
  return {
    async exportOrders(request, ctx) {
      const { job } = await exports.create(
        {
          customerId: request.customerId,
          status: fromProtoStatus(request.status),
          format: fromProtoFormat(request.format),
          idempotencyKey: request.idempotencyKey,
        },
        { actor: actorOf(ctx.principal), requester: ctx.principal.subject, traceContext: currentTraceCarrier(propagator) },
        ctx,
      );
      return { job: toProtoExportJob(job) };
    },

    async getExportJob(request, ctx) {
      return { job: toProtoExportJob(await exports.get(request.id, actorOf(ctx.principal), ctx)) };
    },

    async *watchExportJob(request, ctx) {
      ctx.abortOnTerminate();
      for await (const job of await exports.watch(request.id, actorOf(ctx.principal), ctx)) yield { job: toProtoExportJob(job) };
    },

    async *downloadExport(request, ctx) {
      const offset = request.offset > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(request.offset);
      for await (const chunk of await exports.download(request.id, offset, actorOf(ctx.principal), ctx))
        yield { data: Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength), offset: BigInt(chunk.offset) };
    },
  };
}
