/**
 * The narrow SQL surface the PostgreSQL repositories use, so that one set of SQL runs on both
 * drivers: PGlite (embedded) and node-postgres (a real server). Parameters use $1..$n; pass
 * bigints as decimal strings. Rows come back with int8 as bigint, timestamptz as Date and jsonb
 * parsed, whichever driver is underneath.
 */
import type { CallScope } from '../../domain/call-scope.js';

export interface SqlExecutor {
  /**
   * Within `scope` (see CallScope): the query is abandoned when its signal aborts, and rejects
   * with DEADLINE_EXCEEDED when the deadline passes first.
   */
  query<Row extends object>(text: string, params?: readonly unknown[], scope?: CallScope): Promise<Row[]>;
  /** Runs a script of one or more statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** Connections of the driver's pool, for metrics. */
export type PoolStats = Readonly<{ inUse: number; idle: number; waiting: number }>;

export interface SqlDriver extends SqlExecutor {
  stats(): PoolStats;
  /** Resolves when the database can serve queries; what readiness checks call. */
  ping(): Promise<void>;
  /**
   * Runs `work` in one transaction: committed if it resolves, rolled back if it rejects. Within
   * `scope`, the transaction is never committed after the scope's deadline: it is rolled back,
   * and the promise rejects with DEADLINE_EXCEEDED (also when the server is unreachable then).
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, scope?: CallScope): Promise<T>;
  close(): Promise<void>;
}
