// SqlDriver over PGlite: PostgreSQL compiled to WASM, on a data directory (or in memory when none
// is given), run in a worker thread (pglite-worker.ts) so that its CPU work never blocks this
// thread's event loop. One connection: PGlite runs one statement at a time and queues the rest.
// The data directory is locked before the worker starts: one process per data directory.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type CallScope, remainingMs, UNBOUNDED } from '../../domain/call-scope.js';
import { DomainError } from '../../domain/errors.js';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';
import {
  fromWireError,
  type PgliteNotification,
  type PgliteReply,
  type PgliteRequest,
  type PgliteStarted,
  type PgliteWorkerData,
} from './pglite-messages.js';
import { deadlineExceeded, type Guard, within } from './scope-guard.js';
import type { Listen, SqlDriver, SqlExecutor } from './sql-driver.js';

/**
 * PostgreSQL settings PGlite starts with. shared_buffers is PostgreSQL's page cache inside the
 * WASM heap, which never shrinks: initdb's 128MB grows the heap past its 128 MiB start; 16MB keeps
 * it there (the OS page cache still holds the files). See docs/adr/0003.
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = { shared_buffers: '16MB' };

type Pending = { resolve: (value: unknown) => void; reject: (error: unknown) => void };
type Request = PgliteRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

const unavailable = (cause: unknown) => new DomainError('UNAVAILABLE', 'the store is unavailable; retry later', [], { cause });

/**
 * The worker's entry beside this file: pglite-worker.js once built. Run from TypeScript sources
 * (tests, tsx), a worker inherits no TypeScript loader, so it registers tsx (a development
 * dependency, resolved from the working directory) before importing pglite-worker.ts.
 */
function startWorker(data: PgliteWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData: data });
  const entry = JSON.stringify(new URL('./pglite-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true, workerData: data });
}

function started(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the PGlite worker exited with code ${code} while starting`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: PgliteStarted) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (message.started) resolve();
      else reject(fromWireError(message.error));
    });
  });
}

/** Sends requests to the worker and matches replies; after the worker is gone, every call is UNAVAILABLE. */
function connection(worker: Worker) {
  const pending = new Map<number, Pending>();
  const listeners = new Set<{
    channels: readonly string[];
    onNotification: (channel: string, payload: string) => void;
    onLost: (error: Error) => void;
  }>();
  let nextId = 1;
  let gone: Error | undefined;
  const fail = (error: Error) => {
    gone ??= error;
    for (const { reject } of pending.values()) reject(unavailable(gone));
    pending.clear();
    for (const listener of listeners) listener.onLost(unavailable(gone));
    listeners.clear();
  };
  worker.on('message', (reply: PgliteReply | PgliteNotification) => {
    if ('notification' in reply) {
      const { channel, payload } = reply.notification;
      for (const listener of listeners) if (listener.channels.includes(channel)) listener.onNotification(channel, payload);
      return;
    }
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) waiting?.resolve(reply.value);
    else waiting?.reject(fromWireError(reply.error));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the PGlite worker exited with code ${code}`)));
  function send<T>(request: Request): Promise<T> {
    if (gone !== undefined) return Promise.reject(unavailable(gone));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  }
  return {
    send,
    close: (reason: string) => fail(new Error(reason)),
    /** LISTEN in the worker; its notifications are forwarded here until the worker is gone. */
    listen: (async (channels, onNotification, onLost) => {
      // The worker LISTENs on a channel once however often it is asked: a second LISTEN would
      // forward each notification twice.
      for (const channel of channels) await send<void>({ op: 'listen', channel });
      const listener = { channels, onNotification, onLost };
      listeners.add(listener);
      return {
        ping: () => (gone === undefined ? Promise.resolve() : Promise.reject(unavailable(gone))),
        close: () => Promise.resolve(void listeners.delete(listener)),
      };
    }) satisfies Listen,
    /** Resolves while the worker runs and the driver is open; rejects UNAVAILABLE once either ended. */
    alive: (): Promise<void> => (gone === undefined ? Promise.resolve() : Promise.reject(unavailable(gone))),
  };
}

async function startedWorker(data: PgliteWorkerData): Promise<Worker> {
  const worker = startWorker(data);
  try {
    await started(worker);
    return worker;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
}

/**
 * initdb runs in a second PGlite instance whose memory the worker keeps for its lifetime (about
 * 500 MiB more RSS, measured): a new data directory is created by a worker of its own, and the
 * store then starts in a fresh one.
 */
async function initialise(data: PgliteWorkerData & { dataDir: string }): Promise<void> {
  if (existsSync(join(data.dataDir, 'PG_VERSION'))) return;
  const worker = await startedWorker(data);
  await connection(worker).send({ op: 'close' });
  await worker.terminate();
}

export async function openPgliteDriver(dataDir: string | undefined): Promise<SqlDriver> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  // Before PGlite reads or writes anything: a second process on these files would corrupt them.
  const lock: DataDirLock | undefined = dataDir === undefined ? undefined : lockDataDir(dataDir);
  try {
    if (dataDir !== undefined) await initialise({ dataDir, settings: EMBEDDED_SETTINGS });
    const worker = await startedWorker({ dataDir, settings: EMBEDDED_SETTINGS });
    return pgliteDriver(worker, connection(worker), lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

function pgliteDriver(worker: Worker, db: ReturnType<typeof connection>, lock: DataDirLock | undefined): SqlDriver {
  let running = 0;
  const counted = async <T>(work: () => Promise<T>): Promise<T> => {
    running++;
    try {
      return await work();
    } finally {
      running--;
    }
  };
  // In process there is no connection to lose: a step given up at the deadline just has its result dropped.
  const guardOf = (scope: CallScope): Guard => (scope === UNBOUNDED ? (work) => work : (work) => within(work, scope, () => {}));
  const executor = (tx: number | undefined, guard: Guard): SqlExecutor => ({
    query: <Row extends object>(text: string, params: readonly unknown[] = []) => guard(db.send<Row[]>({ op: 'query', tx, text, params })),
    exec: (script: string) => guard(db.send<void>({ op: 'exec', tx, script })),
  });
  return {
    query: (text, params, scope = UNBOUNDED) => counted(() => executor(undefined, guardOf(scope)).query(text, params)),
    exec: (script) => counted(() => executor(undefined, guardOf(UNBOUNDED)).exec(script)),
    transaction: (work, scope = UNBOUNDED) =>
      counted(async () => {
        if (remainingMs(scope) <= 0) throw deadlineExceeded();
        const tx = await db.send<number>({ op: 'begin' });
        let result;
        try {
          result = await work(executor(tx, guardOf(scope)));
          // Never committed after the caller's deadline: the caller has been told it failed.
          if (remainingMs(scope) <= 0) throw deadlineExceeded();
        } catch (error) {
          await db.send({ op: 'rollback', tx }).catch(() => {}); // the worker is gone: nothing to roll back
          throw error;
        }
        await db.send({ op: 'commit', tx });
        return result;
      }),
    // The store is in this process: it can serve queries while its worker runs. A SELECT would
    // wait behind every queued caller, and a busy store is not an unready one.
    ping: () => db.alive(),
    listen: db.listen,
    async close() {
      try {
        await db.send({ op: 'close' }).catch(() => {});
        db.close('the store is closed');
        await worker.terminate();
      } finally {
        lock?.release();
      }
    },
    stats: () => ({ inUse: Math.min(running, 1), idle: running === 0 ? 1 : 0, waiting: Math.max(running - 1, 0) }),
  };
}
