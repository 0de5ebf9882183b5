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

/** The channel every event append notifies, with the event's sequence as payload. */
export const EVENTS_CHANNEL = 'orderflow_events';

/**
 * The channel every change of an export job row notifies (insert, update, delete: a trigger,
 * migrations/0004_export_job_notify.sql), with the job id as payload.
 */
export const EXPORT_JOBS_CHANNEL = 'orderflow_export_jobs';

/** A LISTEN that is active: `ping` checks its connection; `close` ends it (onLost is not called then). */
export type Listening = Readonly<{ ping(): Promise<void>; close(): Promise<void> }>;

/**
 * LISTENs on every one of `channels` on ONE connection of its own (never a pooled one): resolves
 * once LISTEN is active on all of them, then calls `onNotification` for each notification and
 * `onLost` once if the connection ends. Notifications sent while no LISTEN is active are lost:
 * callers catch up from the store.
 */
export type Listen = (
  channels: readonly string[],
  onNotification: (channel: string, payload: string) => void,
  onLost: (error: Error) => void,
) => Promise<Listening>;

export interface SqlDriver extends SqlExecutor {
  /** LISTEN/NOTIFY on this database, where the driver supports it. */
  listen?: Listen;
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
