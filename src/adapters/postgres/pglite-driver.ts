// SqlDriver over PGlite: PostgreSQL compiled to WASM, in this process, on a data directory (or
// in memory when none is given). One connection; PGlite queues concurrent queries itself.
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { DomainError } from '../../domain/errors.js';
import { lockDataDir } from './data-dir-lock.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

function executor(db: PGlite | Transaction): SqlExecutor {
  return {
    async query<Row extends object>(text: string, params: readonly unknown[] = []) {
      const result = await db.query<Row>(text, params as unknown[]);
      return result.rows;
    },
    async exec(script: string) {
      await db.exec(script);
    },
  };
}

export async function openPgliteDriver(dataDir: string | undefined): Promise<SqlDriver> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  // Before PGlite reads or writes anything: a second process on these files would corrupt them.
  const lock = dataDir === undefined ? undefined : lockDataDir(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir === undefined ? {} : { dataDir });
  } catch (error) {
    lock?.release();
    throw error;
  }
  // One connection: whatever runs beyond the first operation waits in PGlite's queue.
  let running = 0;
  const counted = async <T>(work: () => Promise<T>): Promise<T> => {
    running++;
    try {
      return await work();
    } catch (error) {
      // Closed during a forced shutdown: the store is gone for this process, not broken.
      if (db.closed) throw new DomainError('UNAVAILABLE', 'the store is unavailable; retry later', [], { cause: error });
      throw error;
    } finally {
      running--;
    }
  };
  const top = executor(db);
  return {
    query: (text, params) => counted(() => top.query(text, params)),
    exec: (script) => counted(() => top.exec(script)),
    transaction: (work) => counted(() => db.transaction((tx) => work(executor(tx)))),
    async close() {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
    stats: () => ({ inUse: Math.min(running, 1), idle: running === 0 ? 1 : 0, waiting: Math.max(running - 1, 0) }),
  };
}
