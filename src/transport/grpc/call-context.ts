// Makes the call's SERVER span and deadline (filed by the grpc-js interceptor in the call
// registry) the active OpenTelemetry context while the handler runs, so that log lines, child
// spans and outbound calls find them.
import type { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import { type Context, context, INVALID_SPAN_CONTEXT, propagation, ROOT_CONTEXT, type TextMapGetter, type TextMapPropagator, trace } from '@opentelemetry/api';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { withDeadline } from '../../platform/call-deadline.js';
import { type CallRecord, type CallRegistry, INTERNAL_CALL_KEY } from './call-registry.js';

/** Response header (or trailer) with the call's trace id, for clients to quote to support. */
export const TRACE_ID_HEADER = 'x-trace-id';

export const metadataGetter: TextMapGetter<GrpcMetadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => metadata.get(key).map(String),
};

type NiceMetadata = CallContext['metadata'];
const niceMetadataGetter: TextMapGetter<NiceMetadata> = {
  keys: (metadata) => [...metadata].map(([key]) => key),
  get: (metadata, key) => metadata.getAll(key).map(String),
};

function activeContext(record: CallRecord | undefined, metadata: NiceMetadata, propagator: TextMapPropagator, deadline: number): Context {
  const baggage = propagation.getBaggage(propagator.extract(ROOT_CONTEXT, metadata, niceMetadataGetter));
  const ctx = baggage === undefined ? ROOT_CONTEXT : propagation.setBaggage(ROOT_CONTEXT, baggage);
  const span = record?.span ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  return withDeadline(trace.setSpan(ctx, span), deadline);
}

export function contextMiddleware(propagator: TextMapPropagator, calls: CallRegistry): ServerMiddleware {
  return async function* withCallContext<Request, Response>(call: ServerMiddlewareCall<Request, Response>, ctx: CallContext) {
    const record = calls.get(ctx.metadata.get(INTERNAL_CALL_KEY));
    const active = activeContext(record, ctx.metadata, propagator, record?.deadline ?? Infinity);
    const inner = call.next(call.request, ctx) as AsyncGenerator<Response, Response | void, undefined>;
    const step = (advance: () => Promise<IteratorResult<Response, Response | void>>) => context.with(active, advance);
    let done = false;
    try {
      let result = await step(() => inner.next());
      while (result.done !== true) {
        try {
          yield result.value;
        } catch (error) {
          result = await step(() => inner.throw(error));
          continue;
        }
        result = await step(() => inner.next());
      }
      done = true;
      return result.value;
    } finally {
      if (!done) await step(() => inner.return(undefined));
    }
  };
}
