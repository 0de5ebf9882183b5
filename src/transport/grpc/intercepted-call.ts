// The object the pipeline's interceptor gives grpc-js for each call. grpc-js's handler wrapper
// calls start() on it with a listener of its own, which is ignored (grpc-js-internals.ts, point
// 1): the innermost call reports to this object instead, and it hands each event to the
// pipeline's steps. One object with prototype methods per call, not a set of closures.
import type { Metadata, ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { observeStatuses } from './grpc-js-internals.js';
import type { ServerCall } from './server-call.js';
import type { MethodEntry } from './service-methods.js';

type ConnectionInfo = ReturnType<ServerInterceptingCallInterface['getConnectionInfo']>;

/** What the pipeline does at each event of a call. */
export type CallSteps = Readonly<{
  create(method: MethodEntry, base: ServerInterceptingCallInterface, metadata: Metadata): ServerCall;
  start(call: ServerCall): void;
  message(call: ServerCall, message: unknown): void;
  halfClose(call: ServerCall): void;
  cancel(call: ServerCall): void;
  /** grpc-js sent a status itself (a deadline, an oversized message). */
  status(call: ServerCall, code: number, details: string): void;
}>;

export class InterceptedCall implements ServerInterceptingCallInterface {
  private call: ServerCall | undefined;

  constructor(
    private readonly base: ServerInterceptingCallInterface,
    private readonly method: MethodEntry,
    private readonly steps: CallSteps,
  ) {}

  start(): void {
    this.base.start(this);
  }

  onReceiveMetadata(metadata: Metadata): void {
    const call = this.steps.create(this.method, this.base, metadata);
    this.call = call;
    observeStatuses(this.base, (status) => this.steps.status(call, status.code, status.details ?? ''));
    this.steps.start(call);
  }

  onReceiveMessage(message: unknown): void {
    if (this.call !== undefined) this.steps.message(this.call, message);
  }

  onReceiveHalfClose(): void {
    if (this.call !== undefined) this.steps.halfClose(this.call);
  }

  onCancel(): void {
    if (this.call !== undefined) this.steps.cancel(this.call);
  }

  sendMetadata(metadata: Metadata): void {
    this.base.sendMetadata(metadata);
  }

  sendMessage(message: unknown, callback: () => void): void {
    this.base.sendMessage(message, callback);
  }

  sendStatus(status: Parameters<ServerInterceptingCallInterface['sendStatus']>[0]): void {
    this.base.sendStatus(status);
  }

  startRead(): void {
    this.base.startRead();
  }

  getPeer(): string {
    return this.base.getPeer();
  }

  getDeadline(): ReturnType<ServerInterceptingCallInterface['getDeadline']> {
    return this.base.getDeadline();
  }

  getHost(): string {
    return this.base.getHost();
  }

  getAuthContext(): ReturnType<ServerInterceptingCallInterface['getAuthContext']> {
    return this.base.getAuthContext();
  }

  getConnectionInfo(): ConnectionInfo {
    return this.base.getConnectionInfo();
  }

  getMetricsRecorder(): ReturnType<ServerInterceptingCallInterface['getMetricsRecorder']> {
    return this.base.getMetricsRecorder();
  }
}
