// The one place that owns a call from its HEADERS to its status. A grpc-js server interceptor
// runs every call itself, in fixed steps: telemetry begins; the deadline is set (a default for
// unary calls that bring none); the call is admitted (authentication, scope, rate limit) from its
// metadata before any message is read; the request is read (pulled on demand for request
// streams, each message checked for malformation, an idle stream ended); the handler runs in the
// call's trace context; its result or error (through the one error table) becomes the status;
// telemetry ends. grpc-js's own handler wrappers never see the call (grpc-js-internals.ts).
import { Metadata, status as Status } from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { ServerError } from 'nice-grpc-common';
import type { Logger } from '../../platform/logger.js';
import type { Admission } from './call-admission.js';
import { type MethodTelemetry, TRACE_ID_HEADER } from './call-telemetry.js';
import { isAbortError, toStatus } from './error-table.js';
import { asServerInterceptor } from './grpc-js-internals.js';
import { type CallSteps, InterceptedCall } from './intercepted-call.js';
import { IncomingMessages } from './incoming-messages.js';
import { ServerCall } from './server-call.js';
import { MalformedMessage, type MethodEntry } from './service-methods.js';

export type Timeouts = Readonly<{
  /** For unary calls that arrive without a deadline: a default, and per "package.Service/Method". */
  defaultDeadlineMs: number;
  methodDeadlinesMs: Readonly<Record<string, number>>;
  /** A request stream that sends nothing for this long (and a server stream without its request) ends DEADLINE_EXCEEDED. */
  streamIdleMs: number;
}>;

export type PipelineMethod = MethodEntry & Readonly<{ telemetry: MethodTelemetry }>;

export type PipelineDeps = Readonly<{
  admit: Admission;
  timeouts: Timeouts;
  log: Logger;
  /** Run handlers in their span's context and answer with x-trace-id (telemetry on). */
  traced: boolean;
}>;

/**
 * A client whose deadline expires cancels the call itself, a moment before the server's own
 * timer fires; a cancel that close to the deadline is the deadline.
 */
const DEADLINE_TOLERANCE_MS = 50;

/**
 * Response messages a stream may have handed to grpc-js before the first of them is written, as a
 * Node Writable's highWaterMark (16 objects) allows: waiting for each write before producing the
 * next cost a turn of the event loop per message (bench/REPORT.md, WatchOrders). A client that
 * stops reading stops the stream's writes, so a stream holds at most this many messages (16
 * chunks of 64 KiB for a download) besides what its handler buffers.
 */
const SEND_WINDOW = 16;

type Handler = (request: unknown, context: ServerCall) => unknown;

export type CallPipeline = ReturnType<typeof createCallPipeline>;

export function createCallPipeline(methods: ReadonlyMap<string, PipelineMethod>, deps: PipelineDeps) {
  const { timeouts, traced } = deps;
  const open = new Set<ServerCall>();
  const terminable = new Set<ServerCall>();
  let terminating = false;
  let onIdle: (() => void) | undefined;
  const telemetry = (call: ServerCall) => (call.method as PipelineMethod).telemetry;

  const terminate = (call: ServerCall) => {
    call.terminated = true;
    call.abort('the server is shutting down', 'AbortError');
  };
  const onTerminable = (call: ServerCall) => {
    if (terminating) terminate(call);
    else terminable.add(call);
  };

  /** Ends the call once: the status (unless grpc-js or the client already ended it), then telemetry. */
  function end(call: ServerCall, code: number, details: string, send = true, trailers = new Metadata()): void {
    if (call.ended) return;
    call.ended = true;
    clearTimeout(call.timer);
    call.wakeSender?.();
    open.delete(call);
    terminable.delete(call);
    if (code === (Status.OK as number)) call.abortEnded();
    else call.abort(details, code === (Status.DEADLINE_EXCEEDED as number) ? 'TimeoutError' : 'AbortError');
    call.messages?.fail(new ServerError(code, details));
    if (send) {
      call.handlerMetadata('trailer', trailers);
      if (!call.headersSent && traced) trailers.set(TRACE_ID_HEADER, call.span.spanContext().traceId);
      call.base.sendStatus({ code, details, metadata: trailers });
    }
    telemetry(call).end(call, code, details);
    if (open.size === 0) onIdle?.();
  }

  function fail(call: ServerCall, error: unknown): void {
    if (call.ended) return;
    if (call.terminated && isAbortError(error)) return end(call, Status.OK, 'OK');
    const status = toStatus(error);
    if (status.internalCause !== undefined) {
      deps.log.error(
        { err: status.internalCause, method: call.method.path },
        'call failed with an unexpected error; the client got INTERNAL',
      );
    }
    end(call, status.code, status.details, true, status.trailers);
  }

  function sendHeaders(call: ServerCall): void {
    if (call.headersSent) return;
    call.headersSent = true;
    const headers = call.handlerMetadata('header', new Metadata());
    if (traced) headers.set(TRACE_ID_HEADER, call.span.spanContext().traceId);
    call.base.sendMetadata(headers);
  }

  /** Writes one response message; `written` runs once it is handed to the connection. */
  function send(call: ServerCall, message: unknown, written: () => void): void {
    sendHeaders(call);
    telemetry(call).sent();
    call.base.sendMessage(message, written);
  }

  const inContext = <T>(call: ServerCall, run: () => T): T => (traced ? context.with(call.otelContext, run) : run());

  function invoke(call: ServerCall, request: unknown): void {
    call.invoked = true;
    let result: unknown;
    try {
      result = inContext(call, () => (call.method.handler as Handler)(request, call));
    } catch (error) {
      return fail(call, error);
    }
    if (call.method.responseStream) {
      sendHeaders(call); // the client knows at once that its stream is open, before any event
      // Entered once: every await in pump, and so every next() of the handler, continues in it.
      return void inContext(call, () => pump(call, result as AsyncIterable<unknown>));
    }
    (result as Promise<unknown>).then(
      (response) => {
        if (!call.ended) send(call, response, () => end(call, Status.OK, 'OK'));
      },
      (error: unknown) => fail(call, error),
    );
  }

  /**
   * Sends a response stream, producing the next message while up to SEND_WINDOW are still being
   * written; the status follows once every message is written.
   */
  async function pump(call: ServerCall, responses: AsyncIterable<unknown>): Promise<void> {
    const iterator = responses[Symbol.asyncIterator]();
    let unwritten = 0;
    const written = () => {
      unwritten--;
      call.wakeSender?.();
    };
    /** Resolves when a message has been written, or the call ended. */
    const progress = () =>
      new Promise<void>((wake) => {
        call.wakeSender = () => {
          call.wakeSender = undefined;
          wake();
        };
      });
    try {
      for (;;) {
        const next = await iterator.next();
        if (call.ended) break;
        if (next.done === true) {
          while (unwritten > 0 && !call.ended) await progress();
          return end(call, Status.OK, 'OK');
        }
        unwritten++;
        send(call, next.value, written);
        while (unwritten >= SEND_WINDOW && !call.ended) await progress();
        if (call.ended) break;
      }
      await iterator.return?.();
    } catch (error) {
      fail(call, error);
    }
  }

  function arm(call: ServerCall, ms: number, details: string): void {
    clearTimeout(call.timer);
    call.timer = setTimeout(() => end(call, Status.DEADLINE_EXCEEDED, details), ms);
  }
  const idleDetails = `no request message for ${timeouts.streamIdleMs} ms`;

  function setDeadline(call: ServerCall): void {
    const fromClient = call.base.getDeadline();
    call.deadline = fromClient instanceof Date ? fromClient.getTime() : fromClient;
    const { requestStream, responseStream, path } = call.method;
    if (!Number.isFinite(call.deadline) && !requestStream && !responseStream) {
      const ms = timeouts.methodDeadlinesMs[path.slice(1)] ?? timeouts.defaultDeadlineMs;
      call.deadline = Date.now() + ms;
      arm(call, ms, 'deadline exceeded');
    } else if (!requestStream) {
      arm(call, timeouts.streamIdleMs, idleDetails); // a server stream must bring its request promptly
    }
  }

  function admitted(call: ServerCall): void {
    if (call.ended) return;
    if (!call.method.requestStream) return call.base.startRead();
    // Idle is time spent waiting for the client, not for a busy handler to ask for more.
    call.messages = new IncomingMessages<unknown>(() => {
      arm(call, timeouts.streamIdleMs, idleDetails);
      call.base.startRead();
    });
    invoke(call, call.messages);
  }

  const steps: CallSteps = {
    start(call) {
      open.add(call);
      telemetry(call).begin(call);
      setDeadline(call);
      let principal;
      try {
        principal = deps.admit(call);
      } catch (error) {
        return fail(call, error);
      }
      if (!(principal instanceof Promise)) {
        call.principal = principal;
        return admitted(call);
      }
      principal.then(
        (p) => {
          call.principal = p;
          admitted(call);
        },
        (error: unknown) => fail(call, error),
      );
    },

    message(call, message) {
      if (call.ended) return;
      telemetry(call).received();
      if (message instanceof MalformedMessage) return end(call, Status.INVALID_ARGUMENT, `malformed request message: ${message.reason}`);
      if (call.messages !== undefined) {
        clearTimeout(call.timer);
        return call.messages.push(message);
      }
      if (call.request !== undefined) return end(call, Status.UNIMPLEMENTED, `received a second request message for ${call.method.path}`);
      call.request = { message };
      call.base.startRead(); // for the half-close
    },

    halfClose(call) {
      if (call.ended) return;
      if (call.messages !== undefined) {
        clearTimeout(call.timer);
        return call.messages.end();
      }
      if (call.request === undefined) return end(call, Status.UNIMPLEMENTED, `received no request message for ${call.method.path}`);
      if (call.method.responseStream) clearTimeout(call.timer);
      invoke(call, call.request.message);
    },

    cancel(call) {
      const expired = Date.now() >= call.deadline - DEADLINE_TOLERANCE_MS;
      end(call, expired ? Status.DEADLINE_EXCEEDED : Status.CANCELLED, expired ? 'deadline exceeded' : 'cancelled by the client', false);
    },

    status(call, code, details) {
      end(call, code, details, false);
    },

    create: (method, base, metadata) => new ServerCall(method, base, metadata, onTerminable),
  };

  const interceptor = asServerInterceptor((descriptor, base) => {
    const method = methods.get(descriptor.path);
    return method === undefined ? base : new InterceptedCall(base, method, steps);
  });

  return {
    interceptor,
    /** Calls not yet ended. */
    openCalls: () => open.size,
    /**
     * Ends every stream that opted in (with OK; those that opt in later end at once), and every
     * server stream still waiting for its request (UNAVAILABLE: it has not started, the client
     * retries elsewhere). Unary calls and request streams are left to finish.
     */
    terminateStreams(): void {
      terminating = true;
      for (const call of terminable) terminate(call);
      terminable.clear();
      for (const call of [...open]) {
        if (!call.invoked && call.method.responseStream && !call.method.requestStream)
          end(call, Status.UNAVAILABLE, 'the server is shutting down; retry the call');
      }
    },
    /** Resolves when no call is open. */
    whenIdle(): Promise<void> {
      if (open.size === 0) return Promise.resolve();
      return new Promise((resolve) => (onIdle = resolve));
    },
    /** Ends every open call with UNAVAILABLE (the client may retry elsewhere); returns how many. */
    cutAll(details: string): number {
      const calls = [...open];
      for (const call of calls) end(call, Status.UNAVAILABLE, details);
      return calls.length;
    },
  };
}
