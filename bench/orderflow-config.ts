// The orderflow config document of a benchmark server, written to a file and passed as CONF_PATH
// as an operator would. Plaintext gRPC in every scenario, as the baseline: with TLS the
// comparison would measure the cipher instead of the stack.
import { stringify } from 'yaml';
import { PRODUCTS } from './contract.js';
import type { OrderflowSpec } from './scenarios.js';
import { AUDIENCE, ISSUER } from './tokens.js';

/** The environment variable the HS256 secret reaches the server through (a secret reference, never YAML). */
export const HS256_SECRET_ENV = 'BENCH_HS256_SECRET';

function auth(spec: OrderflowSpec, harnessUrl: string) {
  switch (spec.auth) {
    case 'off':
      return { enabled: false };
    case 'rs256':
      return { enabled: true, jwt: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], jwksUrl: `${harnessUrl}/jwks.json` } };
    case 'hs256':
      return {
        enabled: true,
        jwt: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], hs256Secret: { fromEnv: HS256_SECRET_ENV } },
      };
  }
}

export function orderflowYaml(spec: OrderflowSpec, harnessUrl: string): string {
  return stringify({
    // auth.enabled: false is only allowed in dev; the production scenarios run as prod.
    env: spec.auth === 'off' ? 'dev' : 'prod',
    grpc: { host: '127.0.0.1', port: 0, reflection: false, callTelemetry: spec.production, tls: { enabled: false } },
    admin: { host: '127.0.0.1', port: 0 },
    // JSON at info: with callTelemetry on, one access-log line per call, written by pino to stdout (a file here).
    log: { level: 'info', format: 'json', accessLog: spec.without === 'access-log' ? 'failed' : 'all' },
    store: { kind: 'memory' },
    shutdown: { timeoutMs: 5000, drainDelayMs: 0, closeTimeoutMs: 2000 },
    catalog: { seed: PRODUCTS },
    tracing:
      spec.production && spec.without !== 'tracing'
        ? { sampleRatio: 0.1, exporters: [{ kind: 'otlp', protocol: 'http', endpoint: `${harnessUrl}/v1/traces` }] }
        : { exporters: [] },
    auth: auth(spec, harnessUrl),
    // One caller sends everything: the limiter runs on every call but never refuses.
    limits: { ratePerSecond: 1_000_000_000, rateBurst: 1_000_000_000 },
  });
}
