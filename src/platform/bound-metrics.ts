/**
 * Families of counters, gauges and a latency histogram that share one label set and are bound
 * once per label values: the hot path increments plain numbers in a series object, and the
 * families turn them into prom-client metric objects only when the registry is scraped.
 * prom-client's own Counter/Histogram hash and validate the label values on every inc/observe,
 * which costs more than the rest of a small gRPC call.
 *
 * The objects registered here implement what prom-client's Registry reads from a metric
 * (name, help, type, aggregator, get()), so they are exposed in Prometheus text and OpenMetrics
 * (with exemplars) like any other.
 */
import type { MetricObjectWithValues, MetricValue, MetricValueWithName } from 'prom-client';
import type { MetricsRegistry } from './metrics.js';

type Help = Readonly<{ name: string; help: string }>;

export type BoundFamiliesSpec<C extends string, G extends string> = Readonly<{
  labelNames: readonly string[];
  /** Names of the codes the handled counter and the histogram are split by, indexed by code. */
  codes: readonly string[];
  codeLabel: string;
  buckets: readonly number[];
  counters: Readonly<Record<C, Help>>;
  handled: Help;
  histogram: Help;
  /** `only` limits a gauge to the series whose label values pass it. */
  gauges: Readonly<Record<G, Help & { only?: (labelValues: readonly string[]) => boolean }>>;
}>;

type Exemplar = { traceId: string; value: number; timestamp: number };

export type BoundSeries<C extends string = string, G extends string = string> = {
  readonly labels: Readonly<Record<string, string>>;
  readonly counters: Record<C, number>;
  readonly gauges: Record<G, number>;
  /** One call ended with the code at `codeIndex` after `seconds`. */
  observe(codeIndex: number, seconds: number, traceId?: string): void;
};

class Series<C extends string, G extends string> implements BoundSeries<C, G> {
  readonly handled: Float64Array;
  readonly sums: Float64Array;
  /** Per code, per bucket (the last is +Inf): observations that fell in that bucket (not cumulative). */
  readonly buckets: Float64Array;
  readonly exemplars: (Exemplar | undefined)[];

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    readonly counters: Record<C, number>,
    readonly gauges: Record<G, number>,
    private readonly bounds: readonly number[],
    codes: number,
  ) {
    this.handled = new Float64Array(codes);
    this.sums = new Float64Array(codes);
    this.buckets = new Float64Array(codes * (bounds.length + 1));
    this.exemplars = new Array<Exemplar | undefined>(codes * (bounds.length + 1));
  }

  observe(codeIndex: number, seconds: number, traceId?: string): void {
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > (this.bounds[bucket] as number)) bucket++;
    const slot = codeIndex * (this.bounds.length + 1) + bucket;
    this.handled[codeIndex] = (this.handled[codeIndex] ?? 0) + 1;
    this.sums[codeIndex] = (this.sums[codeIndex] ?? 0) + seconds;
    this.buckets[slot] = (this.buckets[slot] ?? 0) + 1;
    if (traceId !== undefined) this.exemplars[slot] = { traceId, value: seconds, timestamp: Date.now() / 1000 };
  }
}

/** What prom-client's Registry needs of a metric; `name` is writable because OpenMetrics output renames counters. */
type RegistrableMetric = {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  get(): Promise<MetricObjectWithValues<MetricValue<string>>>;
};

export function createBoundFamilies<C extends string, G extends string>(registry: MetricsRegistry, spec: BoundFamiliesSpec<C, G>) {
  const all: Series<C, G>[] = [];
  const labelsOf = (values: readonly string[]) => Object.fromEntries(spec.labelNames.map((name, i) => [name, values[i] ?? '']));

  const register = (help: Help, type: RegistrableMetric['type'], values: () => MetricValue<string>[]) => {
    const metric: RegistrableMetric = {
      ...help,
      type,
      aggregator: 'sum',
      get: () =>
        Promise.resolve({ ...help, name: metric.name, type, aggregator: 'sum', values: values() } as unknown as MetricObjectWithValues<
          MetricValue<string>
        >),
    };
    registry.registerMetric(metric as unknown as Parameters<MetricsRegistry['registerMetric']>[0]);
  };

  for (const [key, help] of Object.entries(spec.counters) as [C, Help][]) {
    register(help, 'counter', () => all.map((s) => ({ labels: s.labels, value: s.counters[key] })));
  }
  register(spec.handled, 'counter', () =>
    all.flatMap((s) => spec.codes.map((code, i) => ({ labels: { ...s.labels, [spec.codeLabel]: code }, value: s.handled[i] ?? 0 }))),
  );
  register(spec.histogram, 'histogram', () => all.flatMap((s) => histogramValues(spec, s)));
  for (const [key, gauge] of Object.entries(spec.gauges) as [G, BoundFamiliesSpec<C, G>['gauges'][G]][]) {
    register(gauge, 'gauge', () =>
      all
        .filter((s) => gauge.only?.(spec.labelNames.map((name) => s.labels[name] ?? '')) ?? true)
        .map((s) => ({ labels: s.labels, value: s.gauges[key] })),
    );
  }

  return {
    /** The series for these label values (in `labelNames` order), created at zero. */
    series(labelValues: readonly string[]): BoundSeries<C, G> {
      const zero = <K extends string>(keys: Record<K, unknown>) =>
        Object.fromEntries(Object.keys(keys).map((k) => [k, 0])) as Record<K, number>;
      const series = new Series<C, G>(labelsOf(labelValues), zero(spec.counters), zero(spec.gauges), spec.buckets, spec.codes.length);
      all.push(series);
      return series;
    },
  };
}

function histogramValues<C extends string, G extends string>(
  spec: BoundFamiliesSpec<C, G>,
  s: Series<C, G>,
): MetricValueWithName<string>[] {
  const name = spec.histogram.name;
  const width = spec.buckets.length + 1;
  return spec.codes.flatMap((code, c) => {
    const labels = { ...s.labels, [spec.codeLabel]: code };
    let cumulative = 0;
    const buckets = [...spec.buckets, '+Inf' as const].map((le, b) => {
      cumulative += s.buckets[c * width + b] ?? 0;
      const exemplar = s.exemplars[c * width + b];
      const value: MetricValueWithName<string> & { exemplar?: unknown } = {
        metricName: `${name}_bucket`,
        labels: { ...labels, le },
        value: cumulative,
      };
      if (exemplar !== undefined)
        value.exemplar = { labelSet: { trace_id: exemplar.traceId }, value: exemplar.value, timestamp: exemplar.timestamp };
      return value;
    });
    return [
      ...buckets,
      { metricName: `${name}_sum`, labels, value: s.sums[c] ?? 0 },
      { metricName: `${name}_count`, labels, value: s.handled[c] ?? 0 },
    ];
  });
}
