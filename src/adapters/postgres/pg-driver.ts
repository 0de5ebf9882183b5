// SqlDriver over node-postgres: a connection pool to a PostgreSQL server. int8 is parsed to
// bigint for this pool only (no global type-parser change).
import pg from 'pg';
import { type CallScope, remainingMs, UNBOUNDED } from '../../domain/call-scope.js';
import { DomainError } from '../../domain/errors.js';
import { deadlineExceeded, type Guard, within } from './scope-guard.js';
import { pgListen } from './pg-listen.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

const INT8_OID = 20;

export type PgDriverOptions = Readonly<{
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  poolMax: number;
  connectTimeoutMs: number;
  /** Errors of idle pooled connections (server restart, network): reported, not thrown. */
  onIdleError: (error: Error) => void;
}>;

const parseInt8 = (value: string) => BigInt(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseInt8 : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
/** SQLSTATE class 08 (connection), 57P0x (server shutting down or starting), 53300 (too many connections). */
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300)$/;

/**
 * A server that cannot be reached is UNAVAILABLE to the domain (clients may retry); anything else
 * (a constraint, a bug in the SQL) stays an infrastructure error and becomes INTERNAL.
 */
export function unavailableOr(error: unknown): unknown {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const unreachable =
    (typeof code === 'string' && (NETWORK_ERRORS.has(code) || UNAVAILABLE_STATES.test(code))) ||
    (typeof message === 'string' && /timeout exceeded when trying to connect|Connection terminated/i.test(message));
  return unreachable ? new DomainError('UNAVAILABLE', 'the store is unavailable; retry later', [], { cause: error }) : error;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw unavailableOr(error);
  }
}

function executor(client: pg.Pool | pg.PoolClient, guard: Guard = (work) => work): SqlExecutor {
  return {
    query: <Row extends object>(text: string, params: readonly unknown[] = []) =>
      guarded(async () => (await guard(client.query<Row>(text, params as unknown[]))).rows),
    exec: (script: string) => guarded(async () => void (await guard(client.query(script)))),
  };
}

/**
 * Opens the transaction with its time bounded server-side too: no statement and no idle wait
 * outlives the caller, and `orderflow.commit_by` (the caller's deadline) is checked by COMMIT_GUARDED.
 */
function beginWithin(remaining: number, deadline: number): string {
  const ms = Math.max(1, Math.floor(remaining));
  return `BEGIN; SET LOCAL statement_timeout = ${ms}; SET LOCAL idle_in_transaction_session_timeout = ${ms}; SELECT set_config('orderflow.commit_by', '${new Date(deadline).toISOString()}', true)`;
}

/**
 * One message, so that a COMMIT delayed on the way (a stalled network) is refused when it arrives
 * after the caller's deadline: the check fails, the rest of the message is skipped and the
 * transaction is rolled back. Assumes the application's and the database's clocks agree (NTP).
 */
const COMMIT_GUARDED = `DO $$ BEGIN IF clock_timestamp() > current_setting('orderflow.commit_by')::timestamptz THEN
  RAISE EXCEPTION 'the caller''s deadline passed before commit' USING ERRCODE = '57014'; END IF; END $$; COMMIT`;

export function openPgDriver(options: PgDriverOptions): SqlDriver {
  const pool = new pg.Pool({
    host: options.host,
    port: options.port,
    database: options.database,
    user: options.user,
    ...(options.password === undefined ? {} : { password: options.password }),
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    types,
  });
  pool.on('error', options.onIdleError);

  /** A pooled connection within the scope; `guard` bounds each of its queries and destroys it when abandoned. */
  async function connect(scope: CallScope): Promise<{ client: pg.PoolClient; guard: Guard; release: () => void }> {
    let abandoned = false;
    const connecting = guarded(() => pool.connect());
    const client = await within(connecting, scope, () => {
      abandoned = true;
      void connecting.then(
        (c) => c.release(true),
        () => undefined,
      );
    });
    let broken: Error | undefined;
    // The pool listens for errors only on idle connections: one that dies while checked out
    // (between the queries of a transaction) would otherwise be an uncaught 'error' event.
    const onError = (error: Error) => (broken ??= error);
    client.on('error', onError);
    const guard: Guard = (work) => within(work, scope, () => (broken = new Error('abandoned at the deadline')));
    const release = () => {
      client.off('error', onError);
      if (!abandoned) client.release(broken);
    };
    return { client, guard, release };
  }

  const unbounded = executor(pool);
  return {
    query(text, params, scope) {
      if (scope === undefined || scope === UNBOUNDED) return unbounded.query(text, params);
      return guarded(async () => {
        const { client, guard, release } = await connect(scope);
        try {
          return await executor(client, guard).query(text, params);
        } finally {
          release();
        }
      });
    },
    exec: (script) => unbounded.exec(script),
    async transaction(work, scope = UNBOUNDED) {
      const remaining = remainingMs(scope);
      if (remaining <= 0) throw deadlineExceeded();
      const bounded = Number.isFinite(remaining);
      const { client, guard, release } = await connect(scope);
      try {
        await guard(client.query(bounded ? beginWithin(remaining, scope.deadline) : 'BEGIN'));
        const result = await work(executor(client, guard));
        await guard(client.query(bounded ? COMMIT_GUARDED : 'COMMIT'));
        return result;
      } catch (error) {
        // Past the deadline the guard gives up at once and the connection is destroyed instead,
        // which rolls the transaction back just as well.
        await guard(client.query('ROLLBACK')).catch(() => undefined);
        throw unavailableOr(error);
      } finally {
        release();
      }
    },
    ping: async () => void (await unbounded.query('SELECT 1')),
    listen: pgListen(options),
    close: () => pool.end(),
    stats: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}
