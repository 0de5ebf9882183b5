// Starts the real application in this process on free ports, with logs captured as JSON lines.
import { Writable } from 'node:stream';
import { createApp, type App, type AppSeams } from '../../src/app.js';
import { type Config, parseConfig } from '../../src/platform/config.js';
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
  /** Extra YAML appended to the base test config (later keys win). */
  yaml?: string;
  seams?: AppSeams;
};

export const TEST_PRODUCTS = [
  { id: 'espresso', name: 'Espresso beans', currencyCode: 'EUR', amountMinor: 1250 },
  { id: 'cup', name: 'Cup', currencyCode: 'EUR', amountMinor: 400 },
  { id: 'tea', name: 'Tea', currencyCode: 'USD', amountMinor: 900 },
] as const;

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const embedded = options.store === 'embedded' ? await freshEmbeddedDataDir() : undefined;
  const store = embedded === undefined ? '{ kind: memory }' : `{ kind: embedded, dataDir: ${JSON.stringify(embedded.dataDir)} }`;
  const seed = TEST_PRODUCTS.map(
    (p) => `    - { id: ${p.id}, name: ${JSON.stringify(p.name)}, price: { currencyCode: ${p.currencyCode}, amountMinor: ${p.amountMinor} } }`,
  ).join('\n');
  const yaml = [
    'env: dev',
    'grpc: { host: 127.0.0.1, port: 0 }',
    'admin: { host: 127.0.0.1, port: 0 }',
    'log: { level: debug, format: json }',
    `store: ${store}`,
    'shutdown: { timeoutMs: 5000, drainDelayMs: 0, closeTimeoutMs: 2000 }',
    'catalog:',
    '  seed:',
    seed,
    options.yaml ?? '',
  ].join('\n');
  const config = parseConfig(yaml, 'test config');
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
