// The data-directory lock on its own: who holds it, when a lock is stale, and what release does.
// Holders are real processes (a `sleep` child) whose PID and start time the lock records.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { DataDirInUseError, LOCK_FILE_NAME, lockDataDir, processStartTime } from '../../src/adapters/postgres/data-dir-lock.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-lock-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sleeper(): ChildProcess & { pid: number } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child as ChildProcess & { pid: number };
}

const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** A lock file as another process would have left it. */
function writeLock(dir: string, fields: Record<string, unknown>) {
  const record = { host: hostname(), bootId: bootId(), command: 'other-server.js', since: '2025-01-01T00:00:00.000Z', ...fields };
  writeFileSync(join(dir, LOCK_FILE_NAME), `${JSON.stringify(record)}\n`);
}

const lockContent = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')) as Record<string, unknown>;

describe('lockDataDir', () => {
  test('records this process, and release removes the file', () => {
    const dir = dataDir();
    const lock = lockDataDir(dir);
    expect(lockContent(dir)).toMatchObject({ pid: process.pid, startTime: processStartTime(process.pid), host: hostname() });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
    lock.release(); // idempotent
  });

  test('a second opener in the same process is refused', () => {
    const dir = dataDir();
    const lock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    lock.release();
  });

  test('a live holder is named in one sentence and its lock is left untouched', () => {
    const dir = dataDir();
    const holder = sleeper();
    writeLock(dir, { pid: holder.pid, startTime: processStartTime(holder.pid) });
    const before = readFileSync(join(dir, LOCK_FILE_NAME), 'utf8');
    expect(() => lockDataDir(dir)).toThrow(
      `the embedded store's data directory ${dir} is in use by process ${holder.pid} (other-server.js, since 2025-01-01T00:00:00.000Z); stop that process or set store.dataDir to another directory`,
    );
    expect(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')).toBe(before);
  });

  test('a lock whose process is gone is stale and taken over', async () => {
    const dir = dataDir();
    const gone = spawn('true', { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    writeLock(dir, { pid: gone.pid, startTime: '1' });
    lockDataDir(dir).release();
  });

  test('a reused PID (same number, another start time) is not mistaken for the holder', () => {
    const dir = dataDir();
    const other = sleeper();
    const startTime = processStartTime(other.pid);
    expect(startTime).not.toBeNull();
    writeLock(dir, { pid: other.pid, startTime: String(Number(startTime) + 1) });
    const lock = lockDataDir(dir);
    expect(lockContent(dir)).toMatchObject({ pid: process.pid });
    lock.release();
  });

  test('a lock from before a reboot is stale even if its PID is alive', () => {
    const dir = dataDir();
    writeLock(dir, { pid: process.pid, startTime: processStartTime(process.pid), bootId: 'another-boot' });
    lockDataDir(dir).release();
  });

  test("another host's lock cannot be checked from here and is respected", () => {
    const dir = dataDir();
    writeLock(dir, { pid: 1, startTime: null, host: 'elsewhere.example' });
    expect(() => lockDataDir(dir)).toThrow(/in use by process 1 on host elsewhere\.example/);
  });

  test.each([
    ['a fatal error', 'setImmediate(() => { throw new Error("fatal") })'],
    ['process.exit', 'process.exit(1)'],
  ])('the lock is released when the process dies of %s', async (_, ending) => {
    const dir = dataDir();
    const script = `import { lockDataDir } from './src/adapters/postgres/data-dir-lock.ts'; lockDataDir(${JSON.stringify(dir)}); console.log('locked'); ${ending};`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(stdout).toBe('locked\n');
    expect(code).toBe(1);
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
  });

  test('release leaves a lock that is no longer this process’s alone', () => {
    const dir = dataDir();
    const lock = lockDataDir(dir);
    const holder = sleeper();
    writeLock(dir, { pid: holder.pid, startTime: processStartTime(holder.pid) });
    lock.release();
    expect(lockContent(dir)).toMatchObject({ pid: holder.pid });
  });
});
