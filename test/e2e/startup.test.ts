// Starting the real server process: configuration errors exit with code 2 and say what is wrong.
import { describe, expect, test } from 'vitest';
import { spawnServer } from '../support/server-process.js';
import { testConfigDocument } from '../support/test-app.js';

async function exitOf(configYaml: string | undefined, env: Record<string, string> = {}) {
  const spawned = spawnServer(configYaml ?? '', configYaml === undefined ? { CONF_PATH: '', ...env } : env);
  const exit = await spawned.exited;
  spawned.cleanup();
  return { code: exit.code, stderr: spawned.output.stderr(), stdout: spawned.output.lines };
}

describe('configuration errors exit with code 2 and one clear message', () => {
  test('CONF_PATH not set', async () => {
    const { code, stderr } = await exitOf(undefined);
    expect(code).toBe(2);
    expect(stderr).toBe('orderflow: CONF_PATH is not set: point it at a YAML config file, for example CONF_PATH=config/dev.yaml\n');
  });

  test('CONF_PATH names a file that does not exist', async () => {
    const { code, stderr } = await exitOf('env: dev', { CONF_PATH: '/nonexistent/orderflow.yaml' });
    expect(code).toBe(2);
    expect(stderr).toBe('orderflow: cannot read the config file CONF_PATH=/nonexistent/orderflow.yaml: no such file\n');
  });

  test('invalid values are listed by key, including environment overrides', async () => {
    const { code, stderr } = await exitOf('env: dev\ngrpc:\n  port: seventy\n  colour: blue\n', { ORDERFLOW_SHUTDOWN__TIMEOUT_MS: '-1' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/grpc\.port: .*expected number.*got "seventy"/);
    expect(stderr).toMatch(/grpc\.colour: unknown key/);
    expect(stderr).toMatch(/shutdown\.timeoutMs: .*from ORDERFLOW_SHUTDOWN__TIMEOUT_MS/);
  });

  test('a literal secret is refused without being echoed', async () => {
    const { code, stderr } = await exitOf('env: prod\nstore: { kind: postgres, database: d, user: u, password: "s3cr3t-literal" }\n');
    expect(code).toBe(2);
    expect(stderr).toMatch(/store\.password: must be a secret reference/);
    expect(stderr).not.toMatch(/s3cr3t-literal/);
  });

  test('an invalid seed product names the entry', async () => {
    const { code, stderr } = await exitOf(
      testConfigDocument(
        { kind: 'memory' },
        { catalog: { seed: [{ id: 'ok', name: 'x', price: { currencyCode: 'euro', amountMinor: 1 } }] } },
      ),
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/catalog\.seed\[0\] is not a valid product: .*currency_code/);
  });
});

test('the effective configuration is logged at startup with secrets masked', async () => {
  const secret = 'pg-password-that-must-not-leak';
  const spawned = spawnServer(
    testConfigDocument({
      kind: 'postgres',
      host: '127.0.0.1',
      port: 1,
      database: 'x',
      user: 'y',
      password: { fromEnv: 'PG_SECRET' },
      connectTimeoutMs: 500,
      migrate: true,
    }),
    { PG_SECRET: secret },
  );
  const starting = await spawned.output.waitFor((l) => l.msg === 'starting');
  expect((starting.config as { store: { password: string } }).store.password).toBe('***');
  const exit = await spawned.exited; // nothing listens on port 1: the store cannot open
  spawned.cleanup();
  expect(exit.code).toBe(1);
  expect(JSON.stringify(spawned.output.lines) + spawned.output.stderr()).not.toContain(secret);
});
