/**
 * gRPC call metrics with the names and labels of go-grpc-prometheus / go-grpc-middleware, so
 * that existing dashboards work: grpc_{server,client}_{started,handled,msg_received,msg_sent}_total
 * and grpc_{server,client}_handling_seconds. Extensions: the histogram also carries grpc_code
 * (go-grpc-middleware #606), and in-flight calls / open streams are gauges. Every series exists
 * at zero for every method and code from the start, as go's InitializeMetrics does, so that
 * rate() never sees an absent series.
 *
 * The hot path is a handful of array increments: each method's series are bound once (see
 * bound-metrics.ts), not looked up by label values on every call as prom-client's own metric
 * classes do.
 */
import { createBoundFamilies } from './bound-metrics.js';
import type { MetricsRegistry as Registry } from './metrics.js';

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';
export type GrpcMethod = Readonly<{ service: string; method: string; type: GrpcType }>;

/** Go's spelling of each status code, indexed by the code's number. */
export const GO_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;

export const DEFAULT_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function grpcType(method: { requestStream: boolean; responseStream: boolean }): GrpcType {
  if (method.requestStream) return method.responseStream ? 'bidi_stream' : 'client_stream';
  return method.responseStream ? 'server_stream' : 'unary';
}

/** "/pkg.Service/Method" → { service: "pkg.Service", method: "Method" }. */
export function splitMethodPath(path: string): { service: string; method: string } {
  const slash = path.lastIndexOf('/');
  return { service: path.slice(1, slash), method: path.slice(slash + 1) };
}

/** One method's series, bound once; what a call reports as it runs. */
export type MethodMetrics = Readonly<{
  /** A call began. */
  start(): void;
  received(): void;
  sent(): void;
  /** A call ended with `code` after `seconds`; `traceId` (a sampled trace) becomes the exemplar. */
  end(code: number, seconds: number, traceId?: string): void;
}>;

export type GrpcMetrics = Readonly<{ forMethod(method: GrpcMethod): MethodMetrics }>;

export function createGrpcMetrics(registry: Registry, side: 'server' | 'client', methods: readonly GrpcMethod[]): GrpcMetrics {
  const families = createBoundFamilies(registry, {
    labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
    codes: GO_CODE_NAMES,
    codeLabel: 'grpc_code',
    buckets: DEFAULT_LATENCY_BUCKETS,
    counters: {
      started: { name: `grpc_${side}_started_total`, help: `Total number of RPCs started on the ${side}.` },
      received: { name: `grpc_${side}_msg_received_total`, help: `Total number of RPC stream messages received on the ${side}.` },
      sent: { name: `grpc_${side}_msg_sent_total`, help: `Total number of gRPC stream messages sent by the ${side}.` },
    },
    handled: {
      name: `grpc_${side}_handled_total`,
      help: `Total number of RPCs completed on the ${side}, regardless of success or failure.`,
    },
    histogram: {
      name: `grpc_${side}_handling_seconds`,
      help: `Histogram of response latency (seconds) of gRPC calls, by status code, on the ${side}.`,
    },
    gauges: {
      inFlight: { name: `grpc_${side}_calls_in_flight`, help: `Number of gRPC calls in progress on the ${side}.` },
      open: {
        name: `grpc_${side}_streams_open`,
        help: `Number of open streaming gRPC calls on the ${side}.`,
        only: (labels) => labels[0] !== 'unary',
      },
    },
  });
  const bound = new Map<string, MethodMetrics>();

  function bind(m: GrpcMethod): MethodMetrics {
    const series = families.series([m.type, m.service, m.method]);
    const streaming = m.type !== 'unary';
    return {
      start() {
        series.counters.started++;
        series.gauges.inFlight++;
        if (streaming) series.gauges.open++;
      },
      received: () => void series.counters.received++,
      sent: () => void series.counters.sent++,
      end(code, seconds, traceId) {
        series.observe(code < GO_CODE_NAMES.length ? code : 2, seconds, traceId);
        series.gauges.inFlight--;
        if (streaming) series.gauges.open--;
      },
    };
  }

  const forMethod = (m: GrpcMethod): MethodMetrics => {
    const key = `${m.type} ${m.service}/${m.method}`;
    let metrics = bound.get(key);
    if (metrics === undefined) {
      metrics = bind(m);
      bound.set(key, metrics);
    }
    return metrics;
  };
  for (const m of methods) forMethod(m);
  return { forMethod };
}
