// SqlDriver over node-postgres: a connection pool to a PostgreSQL server. int8 is parsed to
// bigint for this pool only (no global type-parser change).
import pg from 'pg';
import { DomainError } from '../../domain/errors.js';
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

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    query: <Row extends object>(text: string, params: readonly unknown[] = []) => guarded(async () => (await client.query<Row>(text, params as unknown[])).rows),
    exec: (script: string) => guarded(async () => void (await client.query(script))),
  };
}

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
  return {
    ...executor(pool),
    async transaction(work) {
      const client = await guarded(() => pool.connect());
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError as Error;
        });
        throw error;
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
    stats: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}
