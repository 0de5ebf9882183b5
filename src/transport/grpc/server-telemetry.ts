// Observes every call at the grpc-js level, where it also sees calls that end inside grpc-js
// (deadline exceeded, cancelled, oversized or undecodable messages): the SERVER span, the gRPC
// metrics, the access-log line, and the x-trace-id response header. The span and the deadline
// are handed to the handler through internal metadata keys (see call-context.ts).
import { Metadata, type ServerInterceptor, ServerInterceptingCall, status as Status } from '@grpc/grpc-js';
import { INVALID_SPAN_CONTEXT, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type TextMapPropagator, type Tracer, trace } from '@opentelemetry/api';
import type { GrpcMetrics } from '../../platform/grpc-metrics.js';
import { grpcType, splitMethodPath } from '../../platform/grpc-metrics.js';
import type { Logger } from '../../platform/logger.js';
import { encodeSpanContext, INTERNAL_DEADLINE_KEY, INTERNAL_SPAN_KEY, metadataGetter, TRACE_ID_HEADER } from './call-context.js';

export type ServerTelemetry = Readonly<{ log: Logger; metrics: GrpcMetrics; tracer: Tracer; propagator: TextMapPropagator }>;

/** Per the RPC semantic conventions, only these codes make a server span an error. */
const SERVER_ERRORS = new Set<number>([Status.UNKNOWN, Status.DEADLINE_EXCEEDED, Status.UNIMPLEMENTED, Status.INTERNAL, Status.UNAVAILABLE, Status.DATA_LOSS]);
const DEGRADED = new Set<number>([Status.DEADLINE_EXCEEDED, Status.UNAVAILABLE, Status.RESOURCE_EXHAUSTED]);
/** Codes that mean this server failed: logged at error level. */
const FAULTS = new Set<number>([Status.UNKNOWN, Status.INTERNAL, Status.DATA_LOSS]);

/**
 * A client whose deadline expires cancels the call itself, a moment before the server's own
 * timer fires; a cancel that close to the deadline is the deadline.
 */
const DEADLINE_TOLERANCE_MS = 50;

function deadlineMs(deadline: Date | number): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function peerAttributes(peer: string): Record<string, string | number> {
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(peer);
  return match === null ? {} : { 'network.peer.address': match[1] ?? '', 'network.peer.port': Number(match[2]) };
}

export function serverTelemetryInterceptor(telemetry: ServerTelemetry): ServerInterceptor {
  const { log, metrics, tracer, propagator } = telemetry;
  return (definition, call) => {
    const { service, method } = splitMethodPath(definition.path);
    const type = grpcType(definition);
    const peer = call.getPeer();
    const started = performance.now();
    // The time the client allowed (from grpc-timeout), if any: shows deadlines propagating.
    const deadline = deadlineMs(call.getDeadline());
    const budget = Number.isFinite(deadline) ? deadline - Date.now() : undefined;
    const callMetrics = metrics.start({ service, method, type });
    let span: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    let headersSent = false;
    let ended = false;

    const end = (code: number, details?: string) => {
      if (ended) return;
      ended = true;
      const { traceId, spanId, traceFlags } = span.spanContext();
      callMetrics.end(code, (traceFlags & 1) === 1 ? traceId : undefined);
      const codeName = Status[code] ?? String(code);
      span.setAttributes({ 'rpc.grpc.status_code': code, 'rpc.response.status_code': codeName });
      if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, ...(details === undefined ? {} : { message: details }) });
      span.end();
      const level = FAULTS.has(code) ? 'error' : DEGRADED.has(code) ? 'warn' : 'info';
      const duration_ms = Math.round((performance.now() - started) * 100) / 100;
      log[level]({ service, method, type, code: codeName, duration_ms, deadline_ms: budget, peer, trace_id: traceId, span_id: spanId }, 'finished call');
    };

    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const parent = propagator.extract(ROOT_CONTEXT, metadata, metadataGetter);
            span = tracer.startSpan(
              `${service}/${method}`,
              {
                kind: SpanKind.SERVER,
                attributes: { 'rpc.system.name': 'grpc', 'rpc.system': 'grpc', 'rpc.method': `${service}/${method}`, 'rpc.service': service, ...peerAttributes(peer) },
              },
              parent,
            );
            // Replace anything a client sent under the internal keys before handing them on.
            metadata.set(INTERNAL_SPAN_KEY, encodeSpanContext(span.spanContext()));
            metadata.set(INTERNAL_DEADLINE_KEY, String(deadlineMs(call.getDeadline())));
            nextMetadata(metadata);
          },
          onReceiveMessage(message, nextMessage) {
            callMetrics.received();
            nextMessage(message);
          },
          // grpc-js reports every end of a call here, after any status; a call that ended
          // without passing a status through this interceptor was cancelled or timed out.
          onCancel() {
            const timedOut = Date.now() >= deadlineMs(call.getDeadline()) - DEADLINE_TOLERANCE_MS;
            end(timedOut ? Status.DEADLINE_EXCEEDED : Status.CANCELLED);
          },
        });
      },
      sendMetadata(metadata, next) {
        headersSent = true;
        metadata.set(TRACE_ID_HEADER, span.spanContext().traceId);
        next(metadata);
      },
      sendMessage(message, next) {
        callMetrics.sent();
        next(message);
      },
      sendStatus(status, next) {
        // A trailers-only response (an error before any message) carries the id in trailers.
        if (!headersSent) {
          const trailers = status.metadata ?? new Metadata();
          trailers.set(TRACE_ID_HEADER, span.spanContext().traceId);
          status = { ...status, metadata: trailers };
        }
        end(status.code, status.details);
        next(status);
      },
    });
  };
}
