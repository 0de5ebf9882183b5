// What every drill shares: the built server as a child process with a generated config file (on
// free ports, killed if the drill dies), a PostgreSQL database of the drill's own (created and
// dropped), the SQL that counts what the database really holds, call bookkeeping (outcomes by
// status code, latencies, acknowledged orders by idempotency key) and bounded waiting.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Status } from 'nice-grpc';
import { HealthCheckResponse_ServingStatus } from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import pg from 'pg';
import { stringify } from 'yaml';
import { POSTGRES, postgresAdmin } from '../test/support/required-services.js';
import { connect } from '../test/support/clients.js';
import { BUILT_ENTRY, startServerProcess } from '../test/support/server-process.js';
import { configSchema } from '../src/config.js';
import { type Counts, emptyCounts, reconcile } from './report.js';

export type Form = 'short' | 'full';

/** The catalog every drill server is seeded with. */
export const PRODUCTS = [
  { id: 'espresso', name: 'Espresso beans', price: { currencyCode: 'EUR', amountMinor: 1250 } },
  { id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400 } },
] as const;
export type DrillContext = Readonly<{
  form: Form;
  /** --minutes: how long a soak runs (full form); undefined: its default. */
  minutes?: number | undefined;
  log: (line: string) => void;
}>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The built server must exist: the drills run what is shipped, not the sources. */
export function requireBuild(): void {
  if (!existsSync('dist/cmd/server.js')) throw new Error('dist/cmd/server.js is missing: run `npm run build` first');
}

export const workerBuilt = () => existsSync('dist/cmd/worker.js');

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    const bothObjects = [current, value].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    out[key] = bothObjects ? merge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** The config file of a drill server: PostgreSQL `database` through `port`, free ports, JSON logs at info. */
export function drillConfig(store: { database: string; port?: number }, overrides: Record<string, unknown> = {}): string {
  const base = {
    env: 'dev',
    grpc: { host: '127.0.0.1', port: 0, reflection: false, tls: { enabled: false } },
    admin: { host: '127.0.0.1', port: 0 },
    auth: { enabled: false },
    log: { level: 'info', format: 'json' },
    store: {
      kind: 'postgres',
      host: POSTGRES.host,
      port: store.port ?? POSTGRES.port,
      user: POSTGRES.user,
      database: store.database,
      migrate: true,
    },
    // Every drill caller is one principal: the limiter runs but never refuses.
    limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
    shutdown: { timeoutMs: 10_000, drainDelayMs: 0, closeTimeoutMs: 2000 },
    catalog: { seed: PRODUCTS },
  };
  return stringify(merge(base, overrides));
}

const live = new Set<{ kill: () => void }>();
process.on('exit', () => {
  for (const child of live) child.kill();
});

export type DrillServer = Awaited<ReturnType<typeof startDrillServer>>;

/** Starts `node dist/cmd/server.js` with `configYaml`; resolves once it logs "serving". */
export async function startDrillServer(configYaml: string, env: Record<string, string> = {}) {
  const server = await startServerProcess(configYaml, env, BUILT_ENTRY);
  const handle = { kill: () => server.child.kill('SIGKILL') };
  live.add(handle);
  void server.exited.then(() => live.delete(handle));
  return {
    ...server,
    pid: server.child.pid!,
    running: () => server.child.exitCode === null && server.child.signalCode === null,
    /** Resident set size in bytes, from /proc (undefined once the process is gone). */
    rssBytes(): number | undefined {
      try {
        const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.child.pid}/status`, 'utf8'));
        return match === null ? undefined : Number(match[1]) * 1024;
      } catch {
        return undefined;
      }
    },
    /** SIGKILL (if still running), wait for the exit, remove the config file. */
    async dispose(): Promise<void> {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      await server.exited;
      server.cleanup();
    },
  };
}

/** A database of the drill's own on the shared PostgreSQL (never anything else on it). */
export async function createDrillDatabase(drill: string) {
  const database = `orderflow_drill_${drill.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await postgresAdmin(`CREATE DATABASE ${database}`);
  const pool = new pg.Pool({ host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database, max: 2 });
  // An idle connection that dies is replaced on the next query; it must not crash the drill.
  pool.on('error', () => undefined);
  return {
    database,
    async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
      return (await pool.query<T>(sql, params)).rows;
    },
    /** Rows of the orders whose idempotency key starts with `prefix`. */
    async ordersWithKeyPrefix(prefix: string): Promise<{ key: string; id: string }[]> {
      return (
        await pool.query<{ key: string; id: string }>(
          `SELECT idempotency_key AS key, id::text AS id FROM orders WHERE starts_with(idempotency_key, $1)`,
          [prefix],
        )
      ).rows;
    },
    async drop(): Promise<void> {
      await pool.end();
      await postgresAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
}
export type DrillDatabase = Awaited<ReturnType<typeof createDrillDatabase>>;

/** The status name of a failed call (nice-grpc ClientError, or whatever was thrown). */
export function statusName(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? (Status[code] ?? `code ${code}`) : 'NO_STATUS';
}

export type CallOutcome = Readonly<{
  startedAt: number;
  endedAt: number;
  code: string;
  key?: string | undefined;
  detail?: string | undefined;
}>;

/** The status message of a failed call (grpc-js `details`, nice-grpc `details`), for classifying failures. */
export function statusDetail(error: unknown): string {
  const { details, message } = (error ?? {}) as { details?: unknown; message?: unknown };
  return typeof details === 'string' ? details : typeof message === 'string' ? message : '';
}

/** Bookkeeping of calls: outcomes with their times, and the orders acknowledged, by idempotency key. */
export class Tally {
  readonly outcomes: CallOutcome[] = [];
  /** idempotency key → order id, for every order the server acknowledged. */
  readonly acknowledged = new Map<string, string>();

  /** Runs `call`, recording its outcome; never throws. Resolves with the result, or undefined. */
  async run<T>(call: () => Promise<T>, key?: string): Promise<T | undefined> {
    const startedAt = performance.now();
    try {
      const result = await call();
      this.outcomes.push({ startedAt, endedAt: performance.now(), code: 'OK', key });
      return result;
    } catch (error) {
      this.outcomes.push({ startedAt, endedAt: performance.now(), code: statusName(error), key, detail: statusDetail(error) });
      return undefined;
    }
  }

  acknowledge(key: string, orderId: string): void {
    this.acknowledged.set(key, orderId);
  }

  latencies(filter: (o: CallOutcome) => boolean = () => true): number[] {
    return this.outcomes.filter(filter).map((o) => o.endedAt - o.startedAt);
  }

  /** attempted, succeeded and failed by code, of the outcomes matching `filter`. */
  calls(filter: (o: CallOutcome) => boolean = () => true): Pick<Counts, 'attempted' | 'succeeded' | 'failedByCode'> {
    const chosen = this.outcomes.filter(filter);
    const failedByCode: Record<string, number> = {};
    for (const o of chosen) if (o.code !== 'OK') failedByCode[o.code] = (failedByCode[o.code] ?? 0) + 1;
    return { attempted: chosen.length, succeeded: chosen.filter((o) => o.code === 'OK').length, failedByCode };
  }
}

/** The counts of a drill: calls from `tally`, orders reconciled against the database's rows. */
export async function countAgainstDatabase(
  tally: Tally,
  db: DrillDatabase,
  keyPrefix: string,
): Promise<Counts & { rows: { key: string; id: string }[] }> {
  const rows = await db.ordersWithKeyPrefix(keyPrefix);
  const { found, lost, duplicated } = reconcile(tally.acknowledged, rows);
  return { ...emptyCounts(), ...tally.calls(), acknowledged: tally.acknowledged.size, found, lost, duplicated, rows };
}

/** Resolves true once `condition` holds, false after `timeoutMs` (polling every `everyMs`). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return true;
    } catch {
      // not yet
    }
    if (performance.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/**
 * Runs `worker(i)` repeatedly on `concurrency` loops until `stop()` holds or `maxCalls` in all or
 * `maxMs` passed: every load loop in a drill is bounded in count and time.
 */
export function loop(
  concurrency: number,
  worker: (loopIndex: number, n: number) => Promise<unknown>,
  bounds: { stop: () => boolean; maxCalls: number; maxMs: number },
): Promise<void> {
  const started = performance.now();
  let n = 0;
  const one = async (index: number) => {
    while (!bounds.stop() && n < bounds.maxCalls && performance.now() - started < bounds.maxMs) {
      await worker(index, n++);
    }
  };
  return Promise.all(Array.from({ length: concurrency }, (_, i) => one(i))).then(() => undefined);
}

/** A fresh prefix for the idempotency keys of one drill run (the database is the drill's own anyway). */
export const keyPrefix = (drill: string) => `drill-${drill}-${randomBytes(3).toString('hex')}-`;

export const mib = (bytes: number | undefined) => (bytes === undefined ? '–' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`);

/**
 * Watches the database (directly, never through a drill's proxy) for the orders under `prefix`:
 * for each, the start of the last poll that did not see it and of the first that did, so a
 * commit is placed in a window of about `everyMs` on this process's performance.now() clock.
 */
export function watchCommits(db: DrillDatabase, prefix: string, everyMs = 50) {
  const windows = new Map<string, { notSeenAt: number; seenAt: number }>();
  let lastPollStart = performance.now();
  let stopped = false;
  const poll = async () => {
    const started = performance.now();
    const rows = await db.ordersWithKeyPrefix(prefix);
    for (const row of rows) if (!windows.has(row.key)) windows.set(row.key, { notSeenAt: lastPollStart, seenAt: started });
    lastPollStart = started;
  };
  const running = (async () => {
    while (!stopped) {
      await poll().catch(() => undefined);
      await sleep(everyMs);
    }
    await poll();
  })();
  return {
    windows,
    /** Stops after one last poll. */
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

export type ReadinessSample = Readonly<{ at: number; status: 'SERVING' | 'NOT_SERVING' | 'NO_ANSWER' }>;

/** Polls grpc.health.v1 Health/Check ('' service) every `everyMs` on a channel of its own; keeps the changes. */
export function watchReadiness(address: string, everyMs = 50) {
  const api = connect(address);
  const changes: ReadinessSample[] = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      const at = performance.now();
      const status = await api.health.check({ service: '' }, { deadline: 500 }).then(
        (r) => (r.status === HealthCheckResponse_ServingStatus.SERVING ? 'SERVING' : 'NOT_SERVING') as ReadinessSample['status'],
        () => 'NO_ANSWER' as const,
      );
      if (changes.at(-1)?.status !== status) changes.push({ at, status });
      await sleep(everyMs);
    }
  })();
  return {
    changes,
    /** When `status` was first seen at or after `since`, in ms after `since`. */
    firstAfter(since: number, status: ReadinessSample['status']): number | undefined {
      const hit =
        changes.find((c) => c.at >= since && c.status === status) ??
        (changes.findLast((c) => c.at < since)?.status === status ? { at: since } : undefined);
      return hit === undefined ? undefined : hit.at - since;
    },
    async stop(): Promise<void> {
      stopped = true;
      await running;
      api.close();
    },
  };
}

/** The top-level sections of the server's configuration (what this build supports, e.g. events, queue). */
export const configSections = (): string[] => Object.keys(configSchema.shape);
