// The scenarios compared, and the orderflow YAML each one runs with. The YAML follows the shape
// of the test suite's config document (loopback, port 0, JSON logs, seeded catalog) but is built
// here so that the benchmark depends on nothing under test/.
import { stringify } from 'yaml';
import { type MethodName, METHOD_NAMES, PRODUCTS } from './contract.js';

export type OrderflowSettings = Readonly<{
  store: 'memory' | 'embedded';
  callTelemetry: boolean;
  /** Trace every call and export the spans over OTLP/HTTP to the benchmark's sink. */
  tracing: boolean;
  logLevel: 'info' | 'warn';
}>;

export type Scenario = Readonly<{
  key: string;
  label: string;
  methods: readonly MethodName[];
  /** Absent for the bare grpc-js baseline. */
  orderflow?: OrderflowSettings;
}>;

export const SCENARIOS: readonly Scenario[] = [
  { key: 'baseline', label: 'bare grpc-js (baseline)', methods: METHOD_NAMES },
  {
    key: 'off',
    label: 'orderflow (telemetry off)',
    methods: METHOD_NAMES,
    orderflow: { store: 'memory', callTelemetry: false, tracing: false, logLevel: 'warn' },
  },
  {
    key: 'on',
    label: 'orderflow (telemetry on)',
    methods: METHOD_NAMES,
    orderflow: { store: 'memory', callTelemetry: true, tracing: true, logLevel: 'info' },
  },
  {
    // Only CreateOrder: it is the call whose cost the store dominates.
    key: 'embedded',
    label: 'orderflow (PGlite store, telemetry off)',
    methods: ['CreateOrder'],
    orderflow: { store: 'embedded', callTelemetry: false, tracing: false, logLevel: 'warn' },
  },
];

export type Ports = Readonly<{ grpc: number; admin: number }>;

/** The orderflow config document of a scenario; `sinkUrl` receives the OTLP/HTTP trace exports. */
export function orderflowYaml(settings: OrderflowSettings, ports: Ports, sinkUrl: string): string {
  return stringify({
    env: 'dev',
    grpc: {
      host: '127.0.0.1',
      port: ports.grpc,
      reflection: false,
      callTelemetry: settings.callTelemetry,
      // Plaintext, as the baseline: with TLS on, the comparison would measure crypto instead of the stack.
      tls: { enabled: false },
    },
    admin: { host: '127.0.0.1', port: ports.admin },
    log: { level: settings.logLevel, format: 'json' },
    // No dataDir: PGlite keeps its database in memory, so no disk I/O is measured either.
    store: { kind: settings.store },
    shutdown: { timeoutMs: 5000, drainDelayMs: 0, closeTimeoutMs: 2000 },
    catalog: { seed: PRODUCTS },
    tracing: settings.tracing ? { sampleRatio: 1, exporters: [{ kind: 'otlp', protocol: 'http', endpoint: `${sinkUrl}/v1/traces` }] } : { exporters: [] },
    // Anonymous, as the baseline (and the test config); token checks are not what is measured here.
    auth: { enabled: false },
    // One caller sends everything: the limiter still runs (its cost is part of the stack) but never refuses.
    limits: { ratePerSecond: 1_000_000_000, rateBurst: 1_000_000_000 },
  });
}
