// What every call reports: its SERVER span (parented by the caller's traceparent), the gRPC
// metrics, and one access-log line. Everything that does not depend on the call itself (span
// name and attributes, metric series, the log line's method fields) is computed once per method.
import { type Metadata, status as Status } from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type TextMapGetter, type TextMapPropagator, type Tracer, trace } from '@opentelemetry/api';
import type { GrpcMetrics, MethodMetrics } from '../../platform/grpc-metrics.js';
import type { Logger } from '../../platform/logger.js';
import type { ServerCall } from './server-call.js';
import type { MethodEntry } from './service-methods.js';

/** Response header (or trailer) with the call's trace id, for clients to quote to support. */
export const TRACE_ID_HEADER = 'x-trace-id';

export const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
};

export type TelemetryDeps = Readonly<{
  log: Logger;
  metrics: GrpcMetrics;
  tracer: Tracer;
  propagator: TextMapPropagator;
  /** Which calls get an access-log line: every call, or those that did not end OK. */
  accessLog: 'all' | 'failed';
}>;

export type MethodTelemetry = Readonly<{
  /** Starts the span and counts the call; sets call.span and call.otelContext. */
  begin(call: ServerCall): void;
  received(): void;
  sent(): void;
  /** Ends the span, records the metrics and writes the access-log line. */
  end(call: ServerCall, code: number, details: string | undefined): void;
}>;

/** Per the RPC semantic conventions, only these codes make a server span an error. */
const SERVER_ERRORS = new Set<number>([
  Status.UNKNOWN,
  Status.DEADLINE_EXCEEDED,
  Status.UNIMPLEMENTED,
  Status.INTERNAL,
  Status.UNAVAILABLE,
  Status.DATA_LOSS,
]);
const DEGRADED = new Set<number>([Status.DEADLINE_EXCEEDED, Status.UNAVAILABLE, Status.RESOURCE_EXHAUSTED]);
/** Codes that mean this server failed: logged at error level. */
const FAULTS = new Set<number>([Status.UNKNOWN, Status.INTERNAL, Status.DATA_LOSS]);
const CODE_NAMES: readonly string[] = Array.from({ length: 17 }, (_, code) => Status[code] ?? String(code));

export const NO_TELEMETRY: MethodTelemetry = { begin() {}, received() {}, sent() {}, end() {} };

function peerAttributes(peer: string): Record<string, string | number> {
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(peer);
  return match === null ? {} : { 'network.peer.address': match[1] ?? '', 'network.peer.port': Number(match[2]) };
}

export function methodTelemetry(deps: TelemetryDeps, entry: MethodEntry): MethodTelemetry {
  const { tracer, propagator } = deps;
  const name = `${entry.service}/${entry.method}`;
  const spanOptions = {
    kind: SpanKind.SERVER,
    attributes: { 'rpc.system.name': 'grpc', 'rpc.system': 'grpc', 'rpc.method': name, 'rpc.service': entry.service },
  };
  const metrics: MethodMetrics = deps.metrics.forMethod(entry);
  const log = deps.log.child({ service: entry.service, method: entry.method, type: entry.type });
  const logOk = deps.accessLog === 'all';

  return {
    begin(call) {
      metrics.start();
      const parent = propagator.extract(ROOT_CONTEXT, call.grpcMetadata, metadataGetter);
      const span = tracer.startSpan(name, spanOptions, parent);
      if (span.isRecording()) span.setAttributes(peerAttributes(call.peer));
      call.span = span;
      call.otelContext = trace.setSpan(parent, span);
    },
    received: metrics.received,
    sent: metrics.sent,
    end(call, code, details) {
      const { span } = call;
      const { traceId, spanId, traceFlags } = span.spanContext();
      const seconds = (performance.now() - call.startedAt) / 1000;
      metrics.end(code, seconds, (traceFlags & 1) === 1 ? traceId : undefined);
      const codeName = CODE_NAMES[code] ?? String(code);
      if (span.isRecording()) {
        span.setAttributes({ 'rpc.grpc.status_code': code, 'rpc.response.status_code': codeName });
        if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, ...(details === undefined ? {} : { message: details }) });
        span.end();
      }
      if (code === (Status.OK as number) && !logOk) return;
      const level = FAULTS.has(code) ? 'error' : DEGRADED.has(code) ? 'warn' : 'info';
      if (!log.isLevelEnabled(level)) return;
      const duration_ms = Math.round(seconds * 100_000) / 100;
      // The time the call was allowed (from grpc-timeout, or the default), if any.
      const deadline_ms = Number.isFinite(call.deadline)
        ? Math.round(call.deadline - (performance.timeOrigin + call.startedAt))
        : undefined;
      const principal = call.principal.subject === '' ? undefined : call.principal.subject;
      log[level](
        { code: codeName, duration_ms, deadline_ms, peer: call.peer, principal, trace_id: traceId, span_id: spanId },
        'finished call',
      );
    },
  };
}
