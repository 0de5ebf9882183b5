// Observes every call at the grpc-js level, where it also sees calls that end inside grpc-js
// (deadline exceeded, cancelled, oversized or undecodable messages): the SERVER span, the gRPC
// metrics, the access-log line, and the x-trace-id response header. The span, deadline and
// client certificate reach the handler through the call registry (see call-registry.ts).
// With telemetry off only the registry part runs (spans are non-recording, nothing is counted).
import { Metadata, type ServerInterceptor, ServerInterceptingCall, status as Status } from '@grpc/grpc-js';
import { INVALID_SPAN_CONTEXT, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type TextMapPropagator, type Tracer, trace } from '@opentelemetry/api';
import { type CallMetrics, type GrpcMetrics, grpcType, splitMethodPath } from '../../platform/grpc-metrics.js';
import type { Logger } from '../../platform/logger.js';
import { metadataGetter, TRACE_ID_HEADER } from './call-context.js';
import { type CallRecord, type CallRegistry, INTERNAL_CALL_KEY } from './call-registry.js';

export type ServerTelemetry = Readonly<{ log: Logger; metrics: GrpcMetrics; tracer: Tracer; propagator: TextMapPropagator }>;
/** Deadlines for unary calls that arrive without one: a default, and per "package.Service/Method". */
export type DeadlineDefaults = Readonly<{ defaultMs: number; methodMs: Readonly<Record<string, number>> }>;

export type InterceptorOptions = Readonly<{ telemetry: ServerTelemetry | undefined; calls: CallRegistry; deadlines: DeadlineDefaults }>;

type Definition = Parameters<ServerInterceptor>[0];
type Call = Parameters<ServerInterceptor>[1];

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

function clientDeadline(call: Call): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** The common name of the client certificate TLS verified, if any. */
function clientCommonName(call: Call): string | undefined {
  const cn = (call.getAuthContext().sslPeerCertificate?.subject as { CN?: string | string[] } | undefined)?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

function peerAttributes(peer: string): Record<string, string | number> {
  const match = /^\[?(.*?)\]?:(\d+)$/.exec(peer);
  return match === null ? {} : { 'network.peer.address': match[1] ?? '', 'network.peer.port': Number(match[2]) };
}

export function serverInterceptor(options: InterceptorOptions): ServerInterceptor {
  return (definition, call) => observe(options, definition, call);
}

/**
 * A unary call that brings no deadline gets the default one, enforced from the moment its headers
 * arrive: also a request whose body never comes is ended. Streams are long-lived by design.
 */
function enforceDefaultDeadline(options: InterceptorOptions, definition: Definition, call: Call): { deadline: number; timer: NodeJS.Timeout | undefined } {
  const fromClient = clientDeadline(call);
  if (Number.isFinite(fromClient) || definition.requestStream || definition.responseStream) return { deadline: fromClient, timer: undefined };
  const ms = options.deadlines.methodMs[definition.path.slice(1)] ?? options.deadlines.defaultMs;
  const timer = setTimeout(() => call.sendStatus({ code: Status.DEADLINE_EXCEEDED, details: 'deadline exceeded', metadata: new Metadata() }), ms);
  return { deadline: Date.now() + ms, timer };
}

type CallState = { record: CallRecord; id: string | undefined; ended: boolean; headersSent: boolean };

function startSpan(telemetry: ServerTelemetry | undefined, definition: Definition, metadata: Metadata, peer: string): Span {
  if (telemetry === undefined) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  const { service, method } = splitMethodPath(definition.path);
  const parent = telemetry.propagator.extract(ROOT_CONTEXT, metadata, metadataGetter);
  const attributes = { 'rpc.system.name': 'grpc', 'rpc.system': 'grpc', 'rpc.method': `${service}/${method}`, 'rpc.service': service, ...peerAttributes(peer) };
  return telemetry.tracer.startSpan(`${service}/${method}`, { kind: SpanKind.SERVER, attributes }, parent);
}

function observe(options: InterceptorOptions, definition: Definition, call: Call): ServerInterceptingCall {
  const { telemetry, calls } = options;
  const { service, method } = splitMethodPath(definition.path);
  const type = grpcType(definition);
  const peer = call.getPeer();
  const started = performance.now();
  const { deadline, timer } = enforceDefaultDeadline(options, definition, call);
  const callMetrics = telemetry?.metrics.start({ service, method, type });
  const state: CallState = {
    record: { span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT), deadline, clientCommonName: clientCommonName(call) },
    id: undefined,
    ended: false,
    headersSent: false,
  };
  const end = (code: number, details?: string) => {
    if (state.ended) return;
    state.ended = true;
    clearTimeout(timer);
    if (state.id !== undefined) calls.delete(state.id);
    if (telemetry === undefined || callMetrics === undefined) return;
    finish(telemetry, callMetrics, state.record, { service, method, type, peer, started, deadline, code, details });
  };
  seeInternalStatuses(call, end);
  return new ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(metadata, nextMetadata) {
          state.record = { ...state.record, span: startSpan(telemetry, definition, metadata, peer) };
          state.id = calls.add(state.record);
          metadata.set(INTERNAL_CALL_KEY, state.id); // replaces anything a client sent under this key
          nextMetadata(metadata);
        },
        onReceiveMessage(message, nextMessage) {
          callMetrics?.received();
          nextMessage(message);
        },
        // grpc-js reports every end of a call here, after any status; a call that ended
        // without passing a status through this interceptor was cancelled or timed out.
        onCancel: () => end(Date.now() >= deadline - DEADLINE_TOLERANCE_MS ? Status.DEADLINE_EXCEEDED : Status.CANCELLED),
      });
    },
    sendMetadata(metadata, next) {
      state.headersSent = true;
      if (telemetry !== undefined) metadata.set(TRACE_ID_HEADER, state.record.span.spanContext().traceId);
      next(metadata);
    },
    sendMessage(message, next) {
      callMetrics?.sent();
      next(message);
    },
    sendStatus(status, next) {
      // A trailers-only response (an error before any message) carries the id in trailers.
      if (!state.headersSent && telemetry !== undefined) {
        const trailers = status.metadata ?? new Metadata();
        trailers.set(TRACE_ID_HEADER, state.record.span.spanContext().traceId);
        status = { ...status, metadata: trailers };
      }
      end(status.code, status.details);
      next(status);
    },
  });
}

/**
 * grpc-js ends some calls itself (message too large, deadline, undecodable frames) by calling
 * sendStatus on its own call object, past every interceptor. Wrapping that method on this call's
 * object lets the metrics and the access log record the code the client really got, instead of
 * seeing only the cancellation that follows.
 */
function seeInternalStatuses(call: Call, end: (code: number, details?: string) => void): void {
  const sendStatus = call.sendStatus.bind(call);
  call.sendStatus = (status) => {
    end(status.code, status.details);
    sendStatus(status);
  };
}

type Outcome = { service: string; method: string; type: string; peer: string; started: number; deadline: number; code: number; details: string | undefined };

/** Ends the span, records the metrics and writes the access-log line. */
function finish(telemetry: ServerTelemetry, metrics: CallMetrics, record: CallRecord, outcome: Outcome): void {
  const { service, method, type, peer, started, deadline, code, details } = outcome;
  const { span, principal } = record;
  const { traceId, spanId, traceFlags } = span.spanContext();
  metrics.end(code, (traceFlags & 1) === 1 ? traceId : undefined);
  const codeName = Status[code] ?? String(code);
  span.setAttributes({ 'rpc.grpc.status_code': code, 'rpc.response.status_code': codeName });
  if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, ...(details === undefined ? {} : { message: details }) });
  span.end();
  const level = FAULTS.has(code) ? 'error' : DEGRADED.has(code) ? 'warn' : 'info';
  const duration_ms = Math.round((performance.now() - started) * 100) / 100;
  // The time the call was allowed (from grpc-timeout, or the default), if any.
  const deadline_ms = Number.isFinite(deadline) ? Math.round(deadline - (performance.timeOrigin + started)) : undefined;
  telemetry.log[level]({ service, method, type, code: codeName, duration_ms, deadline_ms, peer, principal, trace_id: traceId, span_id: spanId }, 'finished call');
}
