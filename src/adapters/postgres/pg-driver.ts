// SqlDriver over node-postgres: a connection pool to a PostgreSQL server. int8 is parsed to
// bigint for this pool only (no global type-parser change).
import pg from 'pg';
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

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<Row extends object>(text: string, params: readonly unknown[] = []) {
      const result = await client.query<Row>(text, params as unknown[]);
      return result.rows;
    },
    async exec(script: string) {
      await client.query(script);
    },
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
      const client = await pool.connect();
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
