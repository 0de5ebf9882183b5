// LISTEN on a dedicated node-postgres Client (never one from the pool, which would be handed back
// and lose its LISTEN): what the process's ListenHub hears commits of other processes through.
// One client LISTENs on every channel the process needs (order events, export jobs), so a replica
// holds one such connection whatever it follows.
import pg from 'pg';
import type { Listen } from './sql-driver.js';
import { DomainError } from '../../domain/errors.js';

export type PgListenOptions = Readonly<{
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  connectTimeoutMs: number;
}>;

/** The name the LISTEN connection has in pg_stat_activity (operators, and tests that kill it). */
export const LISTEN_APPLICATION_NAME = 'orderflow-events';

/** Whatever failed, the LISTEN connection is not there: a dependency that cannot be reached. */
const unavailableOr = (cause: unknown) => new DomainError('UNAVAILABLE', 'not listening for events', [], { cause });

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function pgListen(options: PgListenOptions): Listen {
  return async (channels, onNotification, onLost) => {
    const client = new pg.Client({
      host: options.host,
      port: options.port,
      database: options.database,
      user: options.user,
      ...(options.password === undefined ? {} : { password: options.password }),
      connectionTimeoutMillis: options.connectTimeoutMs,
      application_name: LISTEN_APPLICATION_NAME,
      // Dead peers are found by TCP keepalive too, not only by the readiness ping.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    let active = false;
    const lost = (error: Error) => {
      if (!active) return;
      active = false;
      onLost(error);
    };
    // Always handled: an 'error' without a listener would crash the process.
    client.on('error', lost);
    client.on('end', () => lost(new Error('the LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.payload !== undefined && channels.includes(message.channel)) onNotification(message.channel, message.payload);
    });
    try {
      await client.connect();
      for (const channel of channels) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (error) {
      void client.end().catch(() => undefined);
      throw unavailableOr(error);
    }
    active = true;
    return {
      async ping() {
        try {
          await client.query('SELECT 1');
        } catch (error) {
          throw unavailableOr(error);
        }
      },
      async close() {
        active = false;
        await client.end().catch(() => undefined);
      },
    };
  };
}
