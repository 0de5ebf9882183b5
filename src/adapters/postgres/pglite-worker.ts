// The worker thread that owns PGlite (started by pglite-driver.ts, never imported): PostgreSQL's
// WebAssembly runs here, so its CPU work does not block the main thread's event loop. It serves
// the requests of pglite-messages.ts. PGlite itself runs one statement at a time and holds its
// transaction lock from `begin` until `commit` or `rollback`, so callers queue as they would on
// one PostgreSQL connection.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import {
  type PgliteNotification,
  type PgliteReply,
  type PgliteRequest,
  type PgliteStarted,
  type PgliteWorkerData,
  toWireError,
} from './pglite-messages.js';

type OpenTransaction = { tx: Transaction; settle: (commit: boolean) => void; done: Promise<unknown> };

const port = parentPort!;
const { dataDir, settings } = workerData as PgliteWorkerData;
const transactions = new Map<number, OpenTransaction>();
let nextTransaction = 1;
/** Channels LISTENed on: each forwarded once, to the main thread, which fans it out. */
const listening = new Set<string>();
/** Rejects PGlite's transaction callback so that PGlite rolls back; not reported as an error. */
const ROLLBACK = new Error('rolled back by the caller');

function begin(db: PGlite): Promise<number> {
  return new Promise((opened, failed) => {
    const id = nextTransaction++;
    const done = db.transaction(
      (tx) =>
        new Promise((commit, rollback) => {
          transactions.set(id, { tx, settle: (yes) => (yes ? commit(undefined) : rollback(ROLLBACK)), done });
          opened(id);
        }),
    );
    done.catch((error: unknown) => {
      if (!transactions.has(id)) failed(error instanceof Error ? error : new Error(String(error))); // BEGIN itself failed
    });
  });
}

async function finish(id: number, commit: boolean): Promise<void> {
  const open = transactions.get(id);
  if (open === undefined) throw new Error(`no open transaction ${id}`);
  open.settle(commit);
  try {
    await open.done;
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  } finally {
    transactions.delete(id);
  }
}

async function run(db: PGlite, request: PgliteRequest): Promise<unknown> {
  switch (request.op) {
    case 'query':
    case 'exec': {
      const target = request.tx === undefined ? db : transactions.get(request.tx)?.tx;
      if (target === undefined) throw new Error(`no open transaction ${request.tx}`);
      if (request.op === 'exec') return void (await target.exec(request.script));
      return (await target.query(request.text, request.params as unknown[])).rows;
    }
    case 'begin':
      return begin(db);
    case 'listen':
      if (listening.has(request.channel)) return undefined;
      listening.add(request.channel);
      try {
        await db.listen(request.channel, (payload) =>
          port.postMessage({ notification: { channel: request.channel, payload } } satisfies PgliteNotification),
        );
      } catch (error) {
        listening.delete(request.channel);
        throw error;
      }
      return undefined;
    case 'commit':
    case 'rollback':
      return finish(request.tx, request.op === 'commit');
    case 'close':
      // A transaction left open by a cancelled caller would hold PGlite's lock and stall close().
      for (const open of transactions.values()) open.settle(false);
      await Promise.allSettled([...transactions.values()].map((open) => open.done));
      await db.close();
      return undefined;
  }
}

async function serve(): Promise<void> {
  let db: PGlite;
  try {
    const startParams = [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
    db = await PGlite.create({ ...(dataDir === undefined ? {} : { dataDir }), startParams });
  } catch (error) {
    port.postMessage({ started: false, error: toWireError(error) } satisfies PgliteStarted);
    return;
  }
  port.on('message', (request: PgliteRequest) => {
    run(db, request).then(
      (value) => port.postMessage({ id: request.id, ok: true, value } satisfies PgliteReply),
      (error: unknown) => port.postMessage({ id: request.id, ok: false, error: toWireError(error) } satisfies PgliteReply),
    );
  });
  port.postMessage({ started: true } satisfies PgliteStarted);
}

await serve();
