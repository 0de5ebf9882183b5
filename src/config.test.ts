import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { loadConfig, parseConfig } from './config.js';
import { ConfigError, describeConfig, envNameFor } from './platform/config.js';
import type { Secret } from './platform/secret.js';

/** The least a valid file needs once TLS and authentication are on by default. */
const OPEN = 'grpc: { tls: { enabled: false } }\nauth: { enabled: false }\n';
const minimal = `env: dev\n${OPEN}`;
const postgres = `${minimal}store: { kind: postgres, database: orders, user: app, password: { fromEnv: PGPASS } }\n`;

describe('parseConfig', () => {
  test('fills defaults: a minimal file is a complete configuration', () => {
    const config = parseConfig(minimal, 'x.yaml');
    expect(config.grpc).toMatchObject({ port: 50051, maxReceiveMessageBytes: 4 * 1024 * 1024, maxConcurrentStreams: 1000 });
    expect(config.store).toEqual({ kind: 'embedded' });
    expect(config.shutdown.timeoutMs).toBe(30_000);
  });

  test('ORDERFLOW_* variables override any key, values read as YAML', () => {
    const config = parseConfig(minimal, 'x.yaml', {
      ORDERFLOW_GRPC__PORT: '7001',
      ORDERFLOW_GRPC__REFLECTION: 'false',
      ORDERFLOW_LOG__LEVEL: 'warn',
      ORDERFLOW_CATALOG__SEED: '[{id: a, name: A, price: {currencyCode: EUR, amountMinor: 5}}]',
      UNRELATED: 'x',
    });
    expect(config.grpc.port).toBe(7001);
    expect(config.grpc.reflection).toBe(false);
    expect(config.log.level).toBe('warn');
    expect(config.catalog.seed).toHaveLength(1);
  });

  test('envNameFor spells the override variable of a key', () => {
    expect(envNameFor('grpc.maxReceiveMessageBytes', 'ORDERFLOW_')).toBe('ORDERFLOW_GRPC__MAX_RECEIVE_MESSAGE_BYTES');
  });

  test('the result is deeply frozen', () => {
    const config = parseConfig(minimal, 'x.yaml');
    expect(Object.isFrozen(config.grpc)).toBe(true);
  });

  test('lists every problem, each naming its key', () => {
    expect(() => parseConfig('env: test\nadmin: { port: 70000 }\nbogus: 1', 'x.yaml')).toThrow(ConfigError);
    try {
      parseConfig('env: test\nadmin: { port: 70000 }\nbogus: 1', 'x.yaml');
    } catch (error) {
      const lines = (error as Error).message.split('\n').slice(1);
      expect(lines).toHaveLength(3);
      expect(lines.join('\n')).toMatch(/env: .*"dev"\|"staging"\|"prod"/);
      expect(lines.join('\n')).toMatch(/admin\.port: .*65535/);
      expect(lines.join('\n')).toMatch(/^ {2}- bogus: unknown key$/m);
    }
  });

  test('rejects YAML that is not a mapping', () => {
    expect(() => parseConfig('- a\n- b', 'x.yaml')).toThrow(/must hold a YAML mapping/);
  });

  test('a YAML syntax error gives line and column and shows the offending line', () => {
    expect(() => parseConfig('env: dev\ngrpc:\n  port: [1\nlog: { level: info }\n', 'x.yaml')).toThrow(
      'x.yaml is not valid YAML at line 4, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]\n' +
        '  3 |   port: [1\n' +
        '  4 | log: { level: info }\n' +
        '    | ^',
    );
    expect(() => parseConfig('env: dev\n\tgrpc: 1\n', 'x.yaml')).toThrow(
      /at line 2, column 1: Tabs are not allowed as indentation\n {2}1 \| env: dev\n {2}2 \| \tgrpc: 1\n {4}\| \^$/,
    );
  });

  test('an unknown key is named by its full path, at the top level too, and by the variable that set it', () => {
    const problems = (yaml: string, env: Record<string, string> = {}) => {
      try {
        parseConfig(yaml, 'x.yaml', env);
      } catch (error) {
        return (error as Error).message.split('\n').slice(1);
      }
      throw new Error('expected a ConfigError');
    };
    expect(problems('env: dev\nauth: { enabled: false }\nbogus: 1\ngrpc: { tls: { enabled: false }, colour: blue }\n')).toEqual([
      '  - grpc.colour: unknown key',
      '  - bogus: unknown key',
    ]);
    expect(problems(minimal, { ORDERFLOW_GRPC__COLOUR: 'blue', ORDERFLOW_BOGUS: '1' })).toEqual([
      '  - grpc.colour: unknown key (from ORDERFLOW_GRPC__COLOUR)',
      '  - bogus: unknown key (from ORDERFLOW_BOGUS)',
    ]);
    expect(problems(minimal, { ORDERFLOW_LOG: '{level: info, colour: blue}' })).toEqual([
      '  - log.colour: unknown key (from ORDERFLOW_LOG)',
    ]);
  });
});

describe("switching a section's kind from the environment", () => {
  const embedded = `${minimal}store: { kind: embedded, dataDir: ./data/dev }\n`;
  const parse = (yaml: string, env: Record<string, string>) => {
    const warnings: string[] = [];
    return { config: parseConfig(yaml, 'x.yaml', env, (w) => warnings.push(w)), warnings };
  };

  test("the file's keys of the other kind are ignored, with a warning naming them and the variable", () => {
    const { config, warnings } = parse(embedded, { ORDERFLOW_STORE__KIND: 'memory' });
    expect(config.store).toEqual({ kind: 'memory' });
    expect(warnings).toEqual([
      'ORDERFLOW_STORE__KIND sets store.kind to "memory"; ignoring store.dataDir from the file, which applies only to store.kind "embedded"',
    ]);
  });

  test('keys the new kind shares or sets from the environment are kept', () => {
    const { config, warnings } = parse(embedded, {
      ORDERFLOW_STORE__KIND: 'postgres',
      ORDERFLOW_STORE__DATABASE: 'orders',
      ORDERFLOW_STORE__USER: 'app',
    });
    expect(config.store).toMatchObject({ kind: 'postgres', database: 'orders', user: 'app', port: 5432 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ignoring store\.dataDir from the file/);
  });

  test('a file that leaves the kind to its default gets the same treatment', () => {
    const { config, warnings } = parse(`${minimal}store: { dataDir: ./data/dev }\n`, { ORDERFLOW_STORE__KIND: 'memory' });
    expect(config.store).toEqual({ kind: 'memory' });
    expect(warnings).toEqual([
      'ORDERFLOW_STORE__KIND sets store.kind to "memory"; ignoring store.dataDir from the file, which does not apply to it',
    ]);
  });

  test('setting the kind the file already has changes nothing and warns of nothing', () => {
    expect(parse(embedded, { ORDERFLOW_STORE__KIND: 'embedded' })).toEqual({
      config: expect.objectContaining({ store: { kind: 'embedded', dataDir: './data/dev' } }),
      warnings: [],
    });
  });

  test('a key of another kind is still an error when the file itself has it, or a variable sets it', () => {
    expect(() => parse(`${minimal}store: { kind: memory, dataDir: ./x }\n`, {})).toThrow(
      /^ {2}- store\.dataDir: unknown key for store\.kind "memory"$/m,
    );
    expect(() => parse(embedded, { ORDERFLOW_STORE__KIND: 'memory', ORDERFLOW_STORE__DATA_DIR: '/x' })).toThrow(
      /^ {2}- store\.dataDir: unknown key for store\.kind "memory" \(from ORDERFLOW_STORE__DATA_DIR\)$/m,
    );
  });

  test('an unknown kind is reported as such, with nothing dropped', () => {
    const warnings: string[] = [];
    expect(() => parseConfig(embedded, 'x.yaml', { ORDERFLOW_STORE__KIND: 'sqlite' }, (w) => warnings.push(w))).toThrow(
      /store\.kind: .*from ORDERFLOW_STORE__KIND/,
    );
    expect(warnings).toEqual([]);
  });

  test('the shipped dev config runs on the memory store from the environment alone', () => {
    const warnings: string[] = [];
    expect(loadConfig({ CONF_PATH: 'config/dev.yaml', ORDERFLOW_STORE__KIND: 'memory' }, undefined, (w) => warnings.push(w)).store).toEqual(
      { kind: 'memory' },
    );
    expect(warnings).toHaveLength(1);
  });
});

describe('secrets', () => {
  test('resolve from an environment variable and print as ***', () => {
    const config = parseConfig(postgres, 'x.yaml', { PGPASS: 'hunter2' });
    if (config.store.kind !== 'postgres') throw new Error('expected postgres');
    const password = config.store.password as Secret;
    expect(password.reveal()).toBe('hunter2');
    expect(`${String(password)} ${JSON.stringify({ password })} ${inspect(password)}`).not.toContain('hunter2');
    expect(JSON.stringify(describeConfig(config))).not.toContain('hunter2');
  });

  test('resolve from a file, without its trailing newline', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'orderflow-secret-')), 'password');
    writeFileSync(file, 'from-file\n');
    const config = parseConfig(postgres.replace('{ fromEnv: PGPASS }', `{ fromFile: ${file} }`), 'x.yaml');
    expect(config.store.kind === 'postgres' && config.store.password?.reveal()).toBe('from-file');
  });

  test('an unset variable or unreadable file is a ConfigError naming the key', () => {
    expect(() => parseConfig(postgres, 'x.yaml', {})).toThrow(/store\.password: environment variable PGPASS is not set/);
    expect(() => parseConfig(postgres.replace('{ fromEnv: PGPASS }', '{ fromFile: /nonexistent/pw }'), 'x.yaml')).toThrow(
      /store\.password: cannot read secret file/,
    );
  });
});

describe('loadConfig', () => {
  test('reads the file named by CONF_PATH', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'orderflow-conf-')), 'c.yaml');
    writeFileSync(file, minimal);
    expect(loadConfig({ CONF_PATH: file }).env).toBe('dev');
  });

  test('TLS and authentication are on unless the file turns them off; off is refused outside dev', () => {
    expect(() => parseConfig('env: dev', 'x.yaml')).toThrow(
      /grpc\.tls: certFile and keyFile are required[\s\S]*auth: enabled but no way to authenticate/,
    );
    expect(() => parseConfig(`env: prod\n${OPEN}`, 'x.yaml')).toThrow(/auth\.enabled: false is only allowed with env: dev/);
    const hs = 'auth: { jwt: { issuer: i, audience: a, algorithms: [HS256, RS256] } }';
    expect(() => parseConfig(`env: dev\ngrpc: { tls: { enabled: false } }\n${hs}`, 'x.yaml')).toThrow(
      /hs256Secret: required[\s\S]*jwksFile or jwksUrl/,
    );
  });

  test('exports: the in-process queue needs the server to run the jobs; BullMQ takes its settings with defaults', () => {
    const base = `env: dev\n${OPEN}`;
    expect(() => parseConfig(`${base}services: { exports: false }`, 'x.yaml')).toThrow(
      /services\.exports: with exports\.queue\.kind memory/,
    );
    const config = parseConfig(`${base}services: { exports: false }\nexports: { queue: { kind: bullmq, host: redis } }`, 'x.yaml');
    expect(config.exports.queue).toMatchObject({
      kind: 'bullmq',
      host: 'redis',
      port: 6379,
      prefix: 'orderflow-bull',
      queueName: 'exports',
      lockDurationMs: 30_000,
    });
    expect(config.exports).toMatchObject({
      concurrency: 2,
      maxAttempts: 3,
      initialBackoffMs: 1000,
      maxBackoffMs: 60_000,
      pageSize: 500,
      progressIntervalMs: 250,
    });
    expect(() => parseConfig(`${base}exports: { queue: { kind: bullmq, password: hunter2 } }`, 'x.yaml')).toThrow(
      /exports\.queue\.password/,
    );
  });

  test('exports maintenance: defaults; staleAfterMs must exceed the progress interval and the BullMQ lock duration', () => {
    const base = `env: dev\n${OPEN}`;
    expect(parseConfig(base, 'x.yaml').exports).toMatchObject({
      maintenanceIntervalMs: 60_000,
      staleAfterMs: 300_000,
      retentionHours: 168,
    });
    const bullmq = 'services: { exports: false }\nexports: { queue: { kind: bullmq, lockDurationMs: 30000 }, staleAfterMs:';
    expect(() => parseConfig(`${base}${bullmq} 30000 }`, 'x.yaml')).toThrow(
      /exports\.staleAfterMs \(30000\) must exceed exports\.queue\.lockDurationMs \(30000\)/,
    );
    expect(parseConfig(`${base}${bullmq} 30001 }`, 'x.yaml').exports.staleAfterMs).toBe(30_001);
    expect(() => parseConfig(`${base}exports: { staleAfterMs: 250 }`, 'x.yaml')).toThrow(
      /exports\.staleAfterMs \(250\) must exceed exports\.progressIntervalMs \(250\)/,
    );
    expect(() => parseConfig(`${base}exports: { retentionHours: 0 }`, 'x.yaml')).toThrow(/exports\.retentionHours/);
    expect(() => parseConfig(`${base}exports: { retentionHours: 1.5 }`, 'x.yaml')).toThrow(/exports\.retentionHours/);
  });

  test('the shipped dev, staging and prod configs are valid', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const file = `config/${env}.yaml`;
      // staging and prod read the password from a mounted file; point it at a variable here.
      const secret =
        env === 'dev'
          ? {}
          : {
              ORDERFLOW_STORE__PASSWORD: '{ fromEnv: POSTGRES_PASSWORD }',
              POSTGRES_PASSWORD: 'x',
              ORDERFLOW_EXPORTS__QUEUE__PASSWORD: '{ fromEnv: REDIS_PASSWORD }',
              REDIS_PASSWORD: 'y',
            };
      const config = loadConfig({ CONF_PATH: file, ...secret });
      expect(config.env).toBe(env);
      // dev runs exports in the server; staging and prod leave them to workers on BullMQ.
      expect([config.exports.queue.kind, config.services.exports]).toEqual(env === 'dev' ? ['memory', true] : ['bullmq', false]);
    }
  });
});
