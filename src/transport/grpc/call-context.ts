// Hands the call's SERVER span and deadline from the grpc-js interceptor (server-telemetry.ts)
// to the handler: the interceptor writes them under internal metadata keys (overwriting any
// client-supplied value), and this middleware makes them the active OpenTelemetry context while
// the handler runs, so that log lines, child spans and outbound calls find them.
import type { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import { type Context, context, createTraceState, propagation, ROOT_CONTEXT, type SpanContext, type TextMapGetter, type TextMapPropagator, trace } from '@opentelemetry/api';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { withDeadline } from '../../platform/call-deadline.js';

export const INTERNAL_SPAN_KEY = 'x-orderflow-internal-span';
export const INTERNAL_DEADLINE_KEY = 'x-orderflow-internal-deadline';
/** Response header (or trailer) with the call's trace id, for clients to quote to support. */
export const TRACE_ID_HEADER = 'x-trace-id';

export const metadataGetter: TextMapGetter<GrpcMetadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => metadata.get(key).map(String),
};

type EncodedSpanContext = { traceId: string; spanId: string; traceFlags: number; traceState?: string | undefined };

/** TraceState is a class: it travels as its header form and is rebuilt on the other side. */
export function encodeSpanContext(span: SpanContext): string {
  const encoded: EncodedSpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: span.traceFlags, traceState: span.traceState?.serialize() };
  return JSON.stringify(encoded);
}

function decodeSpanContext(text: string): SpanContext {
  const { traceState, ...ids } = JSON.parse(text) as EncodedSpanContext;
  return traceState === undefined ? ids : { ...ids, traceState: createTraceState(traceState) };
}

type NiceMetadata = CallContext['metadata'];
const niceMetadataGetter: TextMapGetter<NiceMetadata> = {
  keys: (metadata) => [...metadata].map(([key]) => key),
  get: (metadata, key) => metadata.getAll(key).map(String),
};

function callContext(metadata: NiceMetadata, propagator: TextMapPropagator): Context {
  const baggage = propagation.getBaggage(propagator.extract(ROOT_CONTEXT, metadata, niceMetadataGetter));
  let ctx = baggage === undefined ? ROOT_CONTEXT : propagation.setBaggage(ROOT_CONTEXT, baggage);
  const span = metadata.get(INTERNAL_SPAN_KEY);
  if (span !== undefined) ctx = trace.setSpanContext(ctx, decodeSpanContext(span));
  return withDeadline(ctx, Number(metadata.get(INTERNAL_DEADLINE_KEY) ?? Infinity));
}

/** Runs each step of the handler inside the call's context (async generators take the caller's). */
export const contextMiddleware = (propagator: TextMapPropagator): ServerMiddleware =>
  async function* withCallContext<Request, Response>(call: ServerMiddlewareCall<Request, Response>, ctx: CallContext) {
    const active = callContext(ctx.metadata, propagator);
    const inner = call.next(call.request, ctx) as AsyncGenerator<Response, Response | void, undefined>;
    let done = false;
    try {
      let step = await context.with(active, () => inner.next());
      while (step.done !== true) {
        try {
          yield step.value;
        } catch (error) {
          step = await context.with(active, () => inner.throw(error));
          continue;
        }
        step = await context.with(active, () => inner.next());
      }
      done = true;
      return step.value;
    } finally {
      if (!done) await context.with(active, () => inner.return(undefined));
    }
  };
