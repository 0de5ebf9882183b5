/**
 * OpenTelemetry tracing, configured from YAML: a tracer provider with a parent-based ratio
 * sampler and the configured exporters (OTLP over HTTP or gRPC — Jaeger ingests OTLP — Zipkin,
 * console), W3C traceparent and baggage propagation, and an AsyncLocalStorage context manager so
 * that the active span follows async work (and log lines can carry its ids).
 *
 * Spans are made by the project's own middleware and decorators (server and client calls, SQL,
 * cache), not by monkey-patching modules at load time, so tracing needs no --import hook and
 * works the same under ESM, tsx, `npm start` and `node dist/...`. See docs/adr/0001.
 */
import { context, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpHttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';

export type TraceExporterConfig =
  | Readonly<{ kind: 'otlp'; protocol: 'http' | 'grpc'; endpoint?: string | undefined }>
  | Readonly<{ kind: 'zipkin'; endpoint: string }>
  | Readonly<{ kind: 'console' }>
  | Readonly<{ kind: 'none' }>;

export type TracingConfig = Readonly<{
  sampleRatio: number;
  exporters: readonly TraceExporterConfig[];
  batch: Readonly<{ scheduledDelayMs: number; maxQueueSize: number; maxExportBatchSize: number; exportTimeoutMs: number }>;
}>;

export type Tracing = Readonly<{
  tracer: Tracer;
  propagator: TextMapPropagator;
  /** Exports what is buffered and stops the exporters. */
  shutdown(): Promise<void>;
}>;

let contextManagerInstalled = false;

/** The context manager is process-wide by nature (it is where "the active span" lives). */
function installContextManager(): void {
  if (contextManagerInstalled) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  contextManagerInstalled = true;
}

function exporterFor(config: TraceExporterConfig): SpanExporter | undefined {
  switch (config.kind) {
    case 'otlp':
      if (config.protocol === 'grpc') return new OtlpGrpcExporter(config.endpoint === undefined ? {} : { url: config.endpoint });
      return new OtlpHttpExporter(config.endpoint === undefined ? {} : { url: config.endpoint });
    case 'zipkin':
      return new ZipkinExporter({ url: config.endpoint });
    case 'console':
      return new ConsoleSpanExporter();
    case 'none':
      return undefined;
  }
}

export function createTracing(
  config: TracingConfig,
  service: { name: string; version: string; environment: string; instance: string },
): Tracing {
  installContextManager();
  const spanProcessors: SpanProcessor[] = config.exporters.flatMap((exporterConfig) => {
    const exporter = exporterFor(exporterConfig);
    return exporter === undefined
      ? []
      : [
          new BatchSpanProcessor(exporter, {
            ...config.batch,
            scheduledDelayMillis: config.batch.scheduledDelayMs,
            exportTimeoutMillis: config.batch.exportTimeoutMs,
          }),
        ];
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': service.name,
      'service.version': service.version,
      'service.instance.id': service.instance,
      'deployment.environment.name': service.environment,
    }),
    // With no exporter nothing is recorded, but spans still get ids: logs keep their trace ids.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(spanProcessors.length === 0 ? 0 : config.sampleRatio) }),
    spanProcessors,
  });
  return {
    tracer: provider.getTracer(service.name, service.version),
    propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    shutdown: () => provider.shutdown(),
  };
}
