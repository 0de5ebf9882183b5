// Starts the real application in this process on free ports, with logs captured as JSON lines.
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { createApp, type App, type AppSeams } from '../../src/app.js';
import { type Config, parseConfig } from '../../src/config.js';
import { freshEmbeddedDataDir } from './embedded-template.js';

export type TestApp = {
  app: App;
  config: Config;
  grpcAddress: string;
  adminUrl: string;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  stop(): Promise<number>;
};

export type TestAppOptions = {
  store?: 'memory' | 'embedded';
  /** Settings merged over the base test config, e.g. { grpc: { maxReceiveMessageBytes: 1024 } }. */
  config?: Record<string, unknown>;
  seams?: AppSeams;
  /** Environment the config loader sees: secret references ({ fromEnv }) and ORDERFLOW_* overrides. */
  env?: Record<string, string>;
};

export const TEST_PRODUCTS = [
  { id: 'espresso', name: 'Espresso beans', price: { currencyCode: 'EUR', amountMinor: 1250 } },
  { id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400 } },
  { id: 'tea', name: 'Tea', price: { currencyCode: 'USD', amountMinor: 900 } },
] as const;

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothObjects = [current, value].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? merge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** The YAML document a test app runs with (also used by tests that start a child process). */
export function testConfigDocument(store: Record<string, unknown>, overrides: Record<string, unknown> = {}): string {
  const base = {
    env: 'dev',
    grpc: { host: '127.0.0.1', port: 0, tls: { enabled: false } },
    auth: { enabled: false },
    admin: { host: '127.0.0.1', port: 0 },
    log: { level: 'debug', format: 'json' },
    store,
    shutdown: { timeoutMs: 5000, drainDelayMs: 0, closeTimeoutMs: 2000 },
    catalog: { seed: TEST_PRODUCTS },
  };
  return stringify(merge(base, overrides));
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const embedded = options.store === 'embedded' ? await freshEmbeddedDataDir() : undefined;
  const store = embedded === undefined ? { kind: 'memory' } : { kind: 'embedded', dataDir: embedded.dataDir };
  const yaml = testConfigDocument(store, options.config);
  const config = parseConfig(yaml, 'test config', options.env ?? {});
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = await createApp(config, { ...options.seams, logDestination: destination });
  const { grpcPort, adminPort } = await app.start();
  let stopped: Promise<number> | undefined;
  return {
    app,
    config,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    logs,
    stop() {
      stopped ??= app.stop().finally(() => embedded?.cleanup());
      return stopped;
    },
  };
}
