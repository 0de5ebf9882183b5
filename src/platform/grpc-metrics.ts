/**
 * gRPC call metrics with the names and labels of go-grpc-prometheus / go-grpc-middleware, so
 * that existing dashboards work: grpc_{server,client}_{started,handled,msg_received,msg_sent}_total
 * and grpc_{server,client}_handling_seconds. Extensions: the histogram also carries grpc_code
 * (go-grpc-middleware #606), and in-flight calls / open streams are gauges. Every series is
 * created at zero for every method and code up front, as go's InitializeMetrics does, so that
 * rate() never sees an absent series.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { MetricsRegistry as Registry } from './metrics.js';

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';
export type GrpcMethod = Readonly<{ service: string; method: string; type: GrpcType }>;

/** Go's spelling of each status code, indexed by the code's number. */
export const GO_CODE_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable',
  'DataLoss', 'Unauthenticated',
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

const LABELS = ['grpc_type', 'grpc_service', 'grpc_method'] as const;
type Labels = Record<(typeof LABELS)[number], string>;

/** What one call reports as it runs; created by GrpcMetrics.start(). */
export type CallMetrics = {
  received(): void;
  sent(): void;
  /** Ends the call once (later calls are ignored); `traceId` becomes the latency exemplar. */
  end(code: number, traceId?: string): void;
};

export type GrpcMetrics = ReturnType<typeof createGrpcMetrics>;

export function createGrpcMetrics(registry: Registry, side: 'server' | 'client', methods: readonly GrpcMethod[]) {
  const registers = [registry];
  const started = new Counter({ name: `grpc_${side}_started_total`, help: `Total number of RPCs started on the ${side}.`, labelNames: LABELS, registers });
  const handled = new Counter({
    name: `grpc_${side}_handled_total`,
    help: `Total number of RPCs completed on the ${side}, regardless of success or failure.`,
    labelNames: [...LABELS, 'grpc_code'],
    registers,
  });
  const received = new Counter({ name: `grpc_${side}_msg_received_total`, help: `Total number of RPC stream messages received on the ${side}.`, labelNames: LABELS, registers });
  const sent = new Counter({ name: `grpc_${side}_msg_sent_total`, help: `Total number of gRPC stream messages sent by the ${side}.`, labelNames: LABELS, registers });
  const seconds = new Histogram({
    name: `grpc_${side}_handling_seconds`,
    help: `Histogram of response latency (seconds) of gRPC calls, by status code, on the ${side}.`,
    labelNames: [...LABELS, 'grpc_code'],
    buckets: DEFAULT_LATENCY_BUCKETS,
    enableExemplars: true,
    registers,
  });
  const inFlight = new Gauge({ name: `grpc_${side}_calls_in_flight`, help: `Number of gRPC calls in progress on the ${side}.`, labelNames: LABELS, registers });
  const streams = new Gauge({ name: `grpc_${side}_streams_open`, help: `Number of open streaming gRPC calls on the ${side}.`, labelNames: LABELS, registers });

  const labelsOf = (m: GrpcMethod): Labels => ({ grpc_type: m.type, grpc_service: m.service, grpc_method: m.method });
  for (const m of methods) {
    const labels = labelsOf(m);
    for (const metric of [started, received, sent]) metric.inc(labels, 0);
    inFlight.set(labels, 0);
    if (m.type !== 'unary') streams.set(labels, 0);
    for (const grpc_code of GO_CODE_NAMES) {
      handled.inc({ ...labels, grpc_code }, 0);
      seconds.zero({ ...labels, grpc_code });
    }
  }

  return {
    start(method: GrpcMethod): CallMetrics {
      const labels = labelsOf(method);
      const begun = performance.now();
      const streaming = method.type !== 'unary';
      let ended = false;
      started.inc(labels);
      inFlight.inc(labels);
      if (streaming) streams.inc(labels);
      return {
        received: () => received.inc(labels),
        sent: () => sent.inc(labels),
        end(code, traceId) {
          if (ended) return;
          ended = true;
          const grpc_code = GO_CODE_NAMES[code] ?? 'Unknown';
          handled.inc({ ...labels, grpc_code });
          const value = (performance.now() - begun) / 1000;
          // prom-client types exemplar labels as the metric's own label names; any names are valid.
          const exemplarLabels = (traceId === undefined ? {} : { trace_id: traceId }) as Partial<Labels>;
          seconds.observe({ labels: { ...labels, grpc_code }, value, exemplarLabels });
          inFlight.dec(labels);
          if (streaming) streams.dec(labels);
        },
      };
    },
  };
}
