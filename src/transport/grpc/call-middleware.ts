// nice-grpc middleware applied to every call: error mapping (one table, internal causes logged
// and hidden) and the terminator that ends long streams cleanly at shutdown.
import { setMaxListeners } from 'node:events';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import type { Logger } from '../../platform/logger.js';
import { InternalServerError, isAbortError, toServerError } from './error-table.js';

export const errorMiddleware = (log: Logger): ServerMiddleware =>
  async function* mapErrors<Request, Response>(call: ServerMiddlewareCall<Request, Response>, context: CallContext) {
    try {
      return yield* call.next(call.request, context);
    } catch (error) {
      const mapped = toServerError(error);
      if (mapped instanceof InternalServerError) {
        log.error({ err: mapped.internalCause, method: call.method.path }, 'call failed with an unexpected error; the client got INTERNAL');
      }
      throw mapped;
    }
  };

/** Added to the call context: a long-lived stream calls this to be ended (with OK) at shutdown. */
export type TerminatorContext = { abortOnTerminate(): void };

export function createTerminator() {
  const terminating = new AbortController();
  // Every open stream listens to this one signal.
  setMaxListeners(0, terminating.signal);

  const middleware: ServerMiddleware<TerminatorContext> = async function* terminator<Request, Response>(
    call: ServerMiddlewareCall<Request, Response, TerminatorContext>,
    context: CallContext,
  ) {
    const inner = new AbortController();
    const forward = () => inner.abort(context.signal.reason);
    let terminated = false;
    const onTerminate = () => {
      terminated = true;
      inner.abort();
    };
    if (context.signal.aborted) forward();
    context.signal.addEventListener('abort', forward, { once: true });
    const abortOnTerminate = () => {
      if (terminating.signal.aborted) onTerminate();
      else terminating.signal.addEventListener('abort', onTerminate, { once: true });
    };
    try {
      return yield* call.next(call.request, { ...context, signal: inner.signal, abortOnTerminate });
    } catch (error) {
      if (terminated && isAbortError(error)) return;
      throw error;
    } finally {
      context.signal.removeEventListener('abort', forward);
      terminating.signal.removeEventListener('abort', onTerminate);
    }
  };

  return {
    middleware,
    /** Ends every stream that opted in; new ones that opt in end at once. */
    terminate: () => terminating.abort(),
  };
}
