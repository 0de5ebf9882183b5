// Makes the call's SERVER span and deadline (filed by the grpc-js interceptor in the call
// registry) the active OpenTelemetry context while the handler runs, so that log lines, child
// spans and outbound calls find them. Unary calls whose client set no deadline get the default
// one here, and are ended with DEADLINE_EXCEEDED when it passes.
import type { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import { type Context, context, INVALID_SPAN_CONTEXT, propagation, ROOT_CONTEXT, type TextMapGetter, type TextMapPropagator, trace } from '@opentelemetry/api';
import { ServerError, Status } from 'nice-grpc';
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

const DEADLINE_EXCEEDED = () => new ServerError(Status.DEADLINE_EXCEEDED, 'deadline exceeded');

export type DeadlineDefaults = Readonly<{ defaultMs: number; methodMs: Readonly<Record<string, number>> }>;

function activeContext(record: CallRecord | undefined, metadata: NiceMetadata, propagator: TextMapPropagator, deadline: number): Context {
  const baggage = propagation.getBaggage(propagator.extract(ROOT_CONTEXT, metadata, niceMetadataGetter));
  const ctx = baggage === undefined ? ROOT_CONTEXT : propagation.setBaggage(ROOT_CONTEXT, baggage);
  const span = record?.span ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  return withDeadline(trace.setSpan(ctx, span), deadline);
}

/** The client's deadline; for unary calls without one, the configured default. */
function effectiveDeadline(call: ServerMiddlewareCall<unknown, unknown>, record: CallRecord | undefined, defaults: DeadlineDefaults): number {
  const client = record?.deadline ?? Infinity;
  if (Number.isFinite(client) || call.requestStream || call.responseStream) return client;
  return Date.now() + (defaults.methodMs[call.method.path.slice(1)] ?? defaults.defaultMs);
}

export function contextMiddleware(propagator: TextMapPropagator, calls: CallRegistry, defaults: DeadlineDefaults): ServerMiddleware {
  return async function* withCallContext<Request, Response>(call: ServerMiddlewareCall<Request, Response>, ctx: CallContext) {
    const record = calls.get(ctx.metadata.get(INTERNAL_CALL_KEY));
    const deadline = effectiveDeadline(call, record, defaults);
    const active = activeContext(record, ctx.metadata, propagator, deadline);
    // One timer per call, cleared when the call ends: an AbortSignal.timeout would hold the
    // call's memory until its deadline (10 s by default) even after it finished.
    const controller = new AbortController();
    const forward = () => controller.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', forward, { once: true });
    let timer: NodeJS.Timeout | undefined;
    // A unary handler that ignores its signal (a query cannot be interrupted) is not waited for
    // past the deadline: the call ends DEADLINE_EXCEEDED and the late result is dropped. Streams
    // are ended at their deadline by grpc-js, which aborts ctx.signal.
    const unary = !call.requestStream && !call.responseStream;
    const expired = unary && Number.isFinite(deadline)
      ? new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort(DEADLINE_EXCEEDED());
            reject(DEADLINE_EXCEEDED());
          }, Math.max(deadline - Date.now(), 0));
        })
      : undefined;
    expired?.catch(() => {});
    const inner = call.next(call.request, { ...ctx, signal: controller.signal }) as AsyncGenerator<Response, Response | void, undefined>;
    const step = (advance: () => Promise<IteratorResult<Response, Response | void>>) => {
      const stepped = context.with(active, advance);
      return expired === undefined ? stepped : Promise.race([stepped, expired]);
    };
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
    } catch (error) {
      if (controller.signal.aborted && !ctx.signal.aborted) throw DEADLINE_EXCEEDED();
      throw error;
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', forward);
      if (!done) void context.with(active, () => inner.return(undefined)).catch(() => {});
    }
  };
}
