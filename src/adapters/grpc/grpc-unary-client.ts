// Unary calls to another gRPC service over one long-lived grpc-js channel: each attempt gets a
// deadline (its own timeout, capped by the caller's deadline from its CallScope, sent as
// grpc-timeout), a CLIENT span whose context travels in traceparent, and grpc_client_* metrics.
// Only UNAVAILABLE is retried, with exponential backoff and full jitter, while time remains.
import {
  Client,
  credentials as grpcCredentials,
  type ChannelCredentials,
  Metadata,
  status as Status,
  type ServiceError,
} from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, type TextMapPropagator, type TextMapSetter, type Tracer } from '@opentelemetry/api';
import { type CallScope, UNBOUNDED } from '../../domain/call-scope.js';
import type { GrpcMetrics } from '../../platform/grpc-metrics.js';
import { splitMethodPath } from '../../platform/grpc-metrics.js';

export type UnaryMethod<Request, Response> = Readonly<{
  path: string;
  encode(request: Request): Uint8Array;
  decode(bytes: Uint8Array): Response;
}>;

export type UnaryClientOptions = Readonly<{
  address: string;
  timeoutMs: number;
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  tracer: Tracer;
  propagator: TextMapPropagator;
  metrics: GrpcMetrics;
  credentials?: ChannelCredentials;
  /**
   * round_robin: one connection to every address the target resolves to, calls spread over the
   * ready ones (gRPC keeps one HTTP/2 connection per channel, so without it one replica behind a
   * headless Service would get every call). pick_first: one connection, to the first address.
   */
  loadBalancing?: 'round_robin' | 'pick_first';
  /** Channel options, e.g. grpc.ssl_target_name_override. */
  channelOptions?: Record<string, string | number>;
  /** Sent with every call, e.g. { 'x-api-key': … }; never logged. */
  metadata?: Readonly<Record<string, string>>;
  /** Told of each failed attempt that will be retried (for a log line). */
  onRetry?: (info: { path: string; attempt: number; backoffMs: number; error: ServiceError }) => void;
}>;

const metadataSetter: TextMapSetter<Metadata> = { set: (metadata, key, value) => metadata.set(key, value) };

export type UnaryClient = ReturnType<typeof createUnaryClient>;

export function createUnaryClient(options: UnaryClientOptions) {
  const client = new Client(options.address, options.credentials ?? grpcCredentials.createInsecure(), {
    ...options.channelOptions,
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ [options.loadBalancing ?? 'round_robin']: {} }] }),
    // The policy is ours: a service config published in DNS TXT records must not replace it.
    'grpc.service_config_disable_resolution': 1,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    // Retries are ours (below), with the caller's deadline in view.
    'grpc.enable_retries': 0,
  });

  function attempt<Request, Response>(
    method: UnaryMethod<Request, Response>,
    request: Request,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const { service, method: name } = splitMethodPath(method.path);
    return options.tracer.startActiveSpan(
      method.path.slice(1),
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system.name': 'grpc',
          'rpc.system': 'grpc',
          'rpc.method': method.path.slice(1),
          'rpc.service': service,
          'server.address': options.address,
        },
      },
      (span) => {
        const metrics = options.metrics.forMethod({ service, method: name, type: 'unary' });
        const started = performance.now();
        metrics.start();
        const metadata = new Metadata();
        for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
        options.propagator.inject(context.active(), metadata, metadataSetter);
        return new Promise<Response>((resolve, reject) => {
          const call = client.makeUnaryRequest(
            method.path,
            (value: Request) => Buffer.from(method.encode(value)),
            (bytes: Buffer) => method.decode(bytes),
            request,
            metadata,
            { deadline },
            (error: ServiceError | null, response?: Response) => {
              signal?.removeEventListener('abort', cancel);
              const code = error?.code ?? Status.OK;
              const { traceId, traceFlags } = span.spanContext();
              metrics.end(code, (performance.now() - started) / 1000, (traceFlags & 1) === 1 ? traceId : undefined);
              span.setAttributes({ 'rpc.grpc.status_code': code, 'rpc.response.status_code': Status[code] ?? String(code) });
              if (error !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: error.details });
              span.end();
              if (error === null) metrics.received();
              if (error !== null) reject(error);
              else resolve(response as Response);
            },
          );
          metrics.sent();
          const cancel = () => call.cancel();
          signal?.addEventListener('abort', cancel, { once: true });
        });
      },
    );
  }

  return {
    /** Calls `method` within the caller's scope; rejects with the last ServiceError, or the signal's reason if aborted. */
    async call<Request, Response>(
      method: UnaryMethod<Request, Response>,
      request: Request,
      scope: CallScope = UNBOUNDED,
    ): Promise<Response> {
      const { signal, deadline: callerDeadline } = scope;
      for (let attemptNo = 1; ; attemptNo++) {
        signal?.throwIfAborted();
        const deadline = Math.min(Date.now() + options.timeoutMs, callerDeadline);
        try {
          return await attempt(method, request, deadline, signal);
        } catch (error) {
          signal?.throwIfAborted();
          const backoff = Math.random() * Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** (attemptNo - 1));
          const retryable = (error as ServiceError).code === Status.UNAVAILABLE && attemptNo < options.maxAttempts;
          if (!retryable || Date.now() + backoff >= callerDeadline) throw error;
          options.onRetry?.({ path: method.path, attempt: attemptNo, backoffMs: Math.round(backoff), error: error as ServiceError });
          await new Promise((resolve) => setTimeout(resolve, backoff));
        }
      }
    },
    close: () => client.close(),
  };
}
