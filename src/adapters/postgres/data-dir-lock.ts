// An exclusive lock on the embedded store's data directory. PGlite is single-process and does
// not guard its files (its postmaster.pid names a fake PID), so each opener takes this lock
// before PGlite touches anything. The lock file records the holder's PID and what survives PID
// reuse (the process start time from /proc and the boot id), so a lock left by kill -9 is
// recognised as stale and taken over.
import { linkSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

export const LOCK_FILE_NAME = 'orderflow.lock';

/** What a lock file says about its holder. */
export type LockHolder = Readonly<{
  pid: number;
  startTime: string | null;
  bootId: string | null;
  host: string;
  command: string;
  since: string;
}>;

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
    super(
      `the embedded store's data directory ${dataDir} is in use by process ${holder.pid}${where} (${holder.command}, since ${holder.since}); ` +
        `stop that process or set store.dataDir to another directory`,
    );
    this.name = 'DataDirInUseError';
  }
}

export type DataDirLock = Readonly<{ path: string; release(): void }>;

const held = new Set<DataDirLock>();
// process.exit() (a fatal error, the shutdown hard limit) skips close(): the lock goes anyway.
let exitHookInstalled = false;

const readOrNull = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** Field 22 of /proc/PID/stat: clock ticks after boot at which the process started. */
export function processStartTime(pid: number): string | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

function ownRecord(): string {
  const holder: LockHolder = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    bootId: readOrNull('/proc/sys/kernel/random/boot_id')?.trim() ?? null,
    host: hostname(),
    command: process.argv.slice(1, 2).join(' ') || process.argv0,
    since: new Date().toISOString(),
  };
  return `${JSON.stringify(holder)}\n`;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
    return Number.isInteger(holder.pid) && typeof holder.host === 'string' ? (holder as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** True unless the holder is provably gone: no such PID, or that PID is now another process. */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true; // another machine's process: it cannot be checked from here
  const bootId = readOrNull('/proc/sys/kernel/random/boot_id')?.trim() ?? null;
  if (holder.bootId !== null && bootId !== null && holder.bootId !== bootId) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const startTime = processStartTime(holder.pid);
  return holder.startTime === null || startTime === null || startTime === holder.startTime;
}

/** Creates the lock file with its content in one step (link fails if it exists): never a half-written lock. */
function createExclusive(path: string, record: string): boolean {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, record);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * Removes the stale lock whose content was `stale`. Moving it aside first means that a lock
 * another starter created meanwhile is put back rather than deleted.
 */
function removeStale(path: string, stale: string): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // already gone: someone else removed it
  }
  if (readOrNull(aside) !== stale) {
    try {
      linkSync(aside, path);
    } catch {
      // yet another lock exists now; the next attempt reads it
    }
  }
  rmSync(aside, { force: true });
}

/**
 * Takes the lock on `dataDir` (which must exist) or throws DataDirInUseError naming the holder.
 * release() is idempotent and removes the file only while it is still this process's lock.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  const path = join(dir, LOCK_FILE_NAME);
  const record = ownRecord();
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, record)) return hold(path, record);
    const text = readOrNull(path);
    if (text === null) continue; // released between our attempt and the read
    const holder = parseHolder(text);
    if (holder !== undefined && isAlive(holder)) throw new DataDirInUseError(dir, holder);
    removeStale(path, text);
  }
  throw new Error(`could not take the lock ${path}: other processes keep replacing it`);
}

function hold(path: string, record: string): DataDirLock {
  const lock: DataDirLock = {
    path,
    release() {
      if (!held.delete(lock)) return;
      if (readOrNull(path) === record) unlinkSync(path);
    },
  };
  held.add(lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const each of held) {
        try {
          each.release();
        } catch {
          // exiting anyway; a lock left behind is recognised as stale
        }
      }
    });
  }
  return lock;
}
