// One process per embedded data directory, with real server and migrate processes: a second
// opener is refused before it opens anything, a lock left by kill -9 is taken over, and a clean
// exit removes the lock.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LOCK_FILE_NAME } from '../../src/adapters/postgres/data-dir-lock.js';
import { connect } from '../support/clients.js';
import { freshEmbeddedDataDir } from '../support/embedded-template.js';
import { spawnServer, startServerProcess } from '../support/server-process.js';
import { testConfigDocument } from '../support/test-app.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function sharedDataDir() {
  const { dataDir, cleanup } = await freshEmbeddedDataDir();
  cleanups.push(cleanup);
  return { dataDir, config: testConfigDocument({ kind: 'embedded', dataDir }, { log: { level: 'info' } }) };
}

async function server(config: string) {
  const started = await startServerProcess(config);
  cleanups.push(() => {
    started.child.kill('SIGKILL');
    started.cleanup();
  });
  return started;
}

/** Runs the migrate entry point to its end. */
function runMigrate(config: string): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-migrate-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.yaml'), config);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cmd/migrate.ts'], {
    env: { PATH: process.env.PATH ?? '', CONF_PATH: join(dir, 'config.yaml') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

const holderPid = (dataDir: string) => (JSON.parse(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8')) as { pid: number }).pid;

async function servesOrders(grpcAddress: string) {
  const api = connect(grpcAddress);
  try {
    return (await api.catalog.getProduct({ id: 'cup' })).product?.id;
  } finally {
    api.close();
  }
}

describe('a second process on a running server’s data directory', () => {
  test('a second server is refused at once with one sentence and exit 1; the first keeps serving', async () => {
    const { dataDir, config } = await sharedDataDir();
    const first = await server(config);
    const lockBefore = readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8');

    const second = spawnServer(config);
    cleanups.push(() => {
      second.child.kill('SIGKILL');
      second.cleanup();
    });
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.output.stderr()).toBe(
      `orderflow: cannot start: the embedded store's data directory ${dataDir} is in use by process ${first.child.pid} ` +
        `(${join(process.cwd(), 'src/cmd/server.ts')}, since ${(JSON.parse(lockBefore) as { since: string }).since}); stop that process or set store.dataDir to another directory\n`,
    );
    expect(second.output.lines.map((l) => l.msg)).not.toContain('embedded store open');
    expect(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8')).toBe(lockBefore);

    expect(await servesOrders(first.grpcAddress)).toBe('cup');
    expect((await fetch(`${first.adminUrl}/health/ready`)).status).toBe(200);
  });

  test('migrate is refused the same way', async () => {
    const { dataDir, config } = await sharedDataDir();
    const first = await server(config);
    const result = await runMigrate(config);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^orderflow migrate: cannot open the store: the embedded store's data directory ${dataDir} is in use by process ${first.child.pid} \\(.*\\); stop that process or set store\\.dataDir to another directory\\n$`,
      ),
    );
    expect(await servesOrders(first.grpcAddress)).toBe('cup');
  });
});

describe('the lock after the holder exits', () => {
  test('a holder killed with SIGKILL leaves a stale lock that the next server takes over', async () => {
    const { dataDir, config } = await sharedDataDir();
    const first = await server(config);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(holderPid(dataDir)).toBe(first.child.pid); // nothing ran to remove it

    const next = await server(config);
    expect(holderPid(dataDir)).toBe(next.child.pid);
    expect(await servesOrders(next.grpcAddress)).toBe('cup');
  });

  test('a clean SIGTERM exit removes the lock, and migrate then runs', async () => {
    const { dataDir, config } = await sharedDataDir();
    const first = await server(config);
    expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(true);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(false);

    const migrated = await runMigrate(config);
    expect(migrated).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(false);
  });
});
