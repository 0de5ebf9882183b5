// The one typed state of a call, built once when its headers arrive and handed to the handler as
// its context. It is nice-grpc's CallContext (metadata, peer, header, trailer, signal: the parts
// a handler rarely reads are made on first use) plus what the pipeline established before any
// message was read: the principal, the deadline, the span. It is also the call's CallScope, so a
// handler passes its context straight to use cases as their deadline and cancellation.
import type { Metadata as GrpcMetadata, ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { type Context, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';
import { type CallContext, Metadata } from 'nice-grpc-common';
import type { CallScope } from '../../domain/call-scope.js';
import type { Principal } from '../../platform/auth/principal.js';
import type { IncomingMessages } from './incoming-messages.js';
import type { MethodEntry } from './service-methods.js';

/** What a handler receives as its context. */
export type AppCallContext = CallContext &
  CallScope &
  Readonly<{
    principal: Principal;
    /** A long-lived stream calls this to be ended with OK (its signal aborts) when the server drains. */
    abortOnTerminate(): void;
  }>;

const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
const NOBODY: Principal = { subject: '', scopes: new Set(), method: 'anonymous' };
/**
 * The abort reason of a call that ended with OK, made once: its stack says nothing, and a
 * DOMException per call (with its captured stack) cost about 5 % of a cached GetOrder's CPU.
 */
const ENDED = new DOMException('the call has ended', 'AbortError');

export class ServerCall implements AppCallContext {
  readonly startedAt = performance.now();
  deadline = Infinity;
  principal: Principal = NOBODY;
  span: Span = NO_SPAN;
  /** The OpenTelemetry context the handler runs in (its span, the caller's baggage). */
  otelContext: Context = ROOT_CONTEXT;
  ended = false;
  headersSent = false;
  /** The handler has been called. */
  invoked = false;
  /** Opted in to being ended at a drain, and whether that happened. */
  terminable = false;
  terminated = false;
  /** The deadline, idle or request timer, whichever applies now. */
  timer: NodeJS.Timeout | undefined;
  /** A request stream's messages, as the handler reads them. */
  messages: IncomingMessages<unknown> | undefined;
  /** A unary or server-streaming call's one request message, once read. */
  request: { message: unknown } | undefined;
  /** A response stream's sender waiting for room in its window; woken when the call ends too. */
  wakeSender: (() => void) | undefined;
  private controller: AbortController | undefined;
  private niceMetadata: Metadata | undefined;
  private niceHeader: Metadata | undefined;
  private niceTrailer: Metadata | undefined;

  constructor(
    readonly method: MethodEntry,
    readonly base: ServerInterceptingCallInterface,
    readonly grpcMetadata: GrpcMetadata,
    private readonly onTerminable: (call: ServerCall) => void,
  ) {}

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.ended && !this.controller.signal.aborted) this.controller.abort(ENDED);
    return this.controller.signal;
  }

  /** As `signal.aborted`, without making the signal. */
  get aborted(): boolean {
    return this.ended || this.controller?.signal.aborted === true;
  }

  /**
   * Aborts the signal, if a handler ever asked for it, with a DOMException of `name`: an
   * exception is made (with its stack) only when someone can see it.
   */
  abort(message: string, name: 'AbortError' | 'TimeoutError'): void {
    if (this.controller !== undefined && !this.controller.signal.aborted) this.controller.abort(new DOMException(message, name));
  }

  /** Aborts the signal, if a handler ever asked for it, because the call ended with OK. */
  abortEnded(): void {
    if (this.controller !== undefined && !this.controller.signal.aborted) this.controller.abort(ENDED);
  }

  abortOnTerminate(): void {
    this.terminable = true;
    this.onTerminable(this);
  }

  get metadata(): Metadata {
    if (this.niceMetadata === undefined) {
      this.niceMetadata = Metadata();
      for (const [key, values] of Object.entries(this.grpcMetadata.toJSON()))
        for (const value of values) this.niceMetadata.append(key, value);
    }
    return this.niceMetadata;
  }

  get peer(): string {
    return this.base.getPeer();
  }

  get header(): Metadata {
    return (this.niceHeader ??= Metadata());
  }

  get trailer(): Metadata {
    return (this.niceTrailer ??= Metadata());
  }

  sendHeader(): void {
    // Sent with the first response message or the status (see call-pipeline.ts).
  }

  /** Response headers or trailers a handler set, in grpc-js form, merged into `into`. */
  handlerMetadata(which: 'header' | 'trailer', into: GrpcMetadata): GrpcMetadata {
    const source = which === 'header' ? this.niceHeader : this.niceTrailer;
    if (source !== undefined)
      for (const [key, values] of source) for (const value of values) into.add(key, typeof value === 'string' ? value : Buffer.from(value));
    return into;
  }
}
