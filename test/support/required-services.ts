// Suites that need a real server (PostgreSQL, Redis) call these. When the server is not
// reachable the suite is skipped with a loud warning, unless ORDERFLOW_REQUIRE_SERVICES=1
// (set by CI), which turns the skip into a failure.
import { connect } from 'node:net';
import pg from 'pg';

export const POSTGRES = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

export const servicesRequired = process.env.ORDERFLOW_REQUIRE_SERVICES === '1';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** true when the service answers; otherwise warns loudly (or throws when services are required). */
export async function serviceAvailable(name: string, host: string, port: number): Promise<boolean> {
  if (await reachable(host, port)) return true;
  const message = `${name} is not reachable at ${host}:${port}`;
  if (servicesRequired) throw new Error(`${message}, and ORDERFLOW_REQUIRE_SERVICES=1 forbids skipping`);
  console.warn(
    `\n!!! SKIPPED: ${message}; its tests did not run. Start it (see README, "Tests") or set ORDERFLOW_REQUIRE_SERVICES=1 to fail instead.\n`,
  );
  return false;
}

/** Runs one statement on the server's `postgres` database (CREATE/DROP DATABASE for a test file). */
export async function postgresAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
