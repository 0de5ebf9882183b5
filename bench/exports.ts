// Exports at scale, on real processes: PostgreSQL (a database of this run's own) with --orders
// orders (100,000 by default) inserted in bulk, BullMQ on a redis-server of this run's own, two
// API servers (dist/cmd/server.js, services.exports: false) and one worker (dist/cmd/worker.js).
// Reports:
//   - the export: orders/s (ExportOrders to SUCCEEDED) and the worker's peak RSS (VmHWM);
//   - GetOrder latency on server A while the export runs, against idle, at --concurrency callers;
//   - DownloadExport throughput from server B, which ran nothing (MB/s), checked against sha256.
// Each of --rounds rounds measures GetOrder idle, then during one export, then downloads it;
// the figures are medians over rounds (the machine is shared: per-round ratios are printed too).
//   npm run build && npx tsx bench/exports.ts [--orders 100000] [--concurrency 8] [--seconds 5] [--rounds 3]
//
// --in-process: the quick start's shape instead (embedded PGlite store, services.exports: true,
// the in-process runner): two servers, each on its own copy of one seeded data directory, one
// encoding export pages on its event loop (exports.encodeThreads: 0), one on a worker thread (1).
// Each round runs both in turn (the order alternates): GetOrder idle, then during one CSV export
// of every order on the same server; the server's own event-loop lag p99 (prom-client's
// monitorEventLoopDelay, reset by each /metrics scrape) is read over each window. Medians over rounds.
//   npm run build && npx tsx bench/exports.ts --in-process [--orders 100000] [--rounds 3] [--format csv|ndjson]
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { openPgliteDriver } from '../src/adapters/postgres/pglite-driver.js';
import { migrate } from '../src/adapters/postgres/migrator.js';
import { ExportFormat, ExportJobStatus } from '../src/gen/orderflow/exports/v1/export_service.js';
import { connect, type Clients } from '../test/support/clients.js';
import { freePort, OwnRedisServer } from '../test/support/redis.js';
import { POSTGRES, postgresAdmin } from '../test/support/required-services.js';
import { Child, killChildrenOnExit, rssMiB } from './processes.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    'in-process': { type: 'boolean', default: false },
    format: { type: 'string', default: 'csv' },
  },
});
const ROUNDS = Number(values.rounds);
const ORDERS = Number(values.orders);
const CONCURRENCY = Number(values.concurrency);
const SECONDS = Number(values.seconds);
const ROOT = join(import.meta.dirname, '..');

function config(database: string, redisPort: number, grpc: number, admin: number): string {
  return stringify({
    env: 'dev',
    grpc: { host: '127.0.0.1', port: grpc, reflection: false, tls: { enabled: false } },
    admin: { host: '127.0.0.1', port: admin },
    log: { level: 'info', format: 'json' },
    store: { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database, migrate: true, poolMax: 10 },
    services: { exports: false },
    exports: { queue: { kind: 'bullmq', host: '127.0.0.1', port: redisPort, prefix: 'bench' }, concurrency: 1 },
    auth: { enabled: false },
    limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
    catalog: { seed: [{ id: 'espresso', name: 'Espresso', price: { currencyCode: 'EUR', amountMinor: 1250 } }] },
  });
}

async function startProcess(name: string, entry: string, yaml: string, ready: string): Promise<Child> {
  const confPath = join(tmpdir(), `orderflow-bench-${name}-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(confPath, yaml);
  const child = new Child({ name, nodeArgs: [entry], cwd: ROOT, env: { CONF_PATH: confPath, NODE_ENV: 'production' } });
  await child.nextLine((l) => l.msg === ready, 120_000);
  return child;
}

/** 100,000 orders in one statement: UUIDv7-shaped ascending ids, 2 items each, 100 customers. */
const SEED_SQL = `INSERT INTO orders (id, customer_id, status, currency_code, total_minor, items, version, idempotency_key, create_time, update_time)
    SELECT ('01900000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'customer-' || (i % 100), 'PENDING', 'EUR', 2900 + i % 7,
           jsonb_build_array(jsonb_build_object('productId', 'espresso', 'quantity', 2, 'unitPriceMinor', '1250'), jsonb_build_object('productId', 'cup-' || (i % 13), 'quantity', 1, 'unitPriceMinor', (400 + i % 7)::text)),
           1, '', now(), now()
    FROM generate_series(1, $1) AS i`;

async function seed(database: string): Promise<string[]> {
  const sql = new pg.Client({ ...POSTGRES, database });
  await sql.connect();
  await sql.query(SEED_SQL, [ORDERS]);
  const ids = (await sql.query<{ id: string }>('SELECT id FROM orders ORDER BY random() LIMIT 1000')).rows.map((r) => r.id);
  await sql.end();
  return ids;
}

type Latency = { calls: number; p50Ms: number; p99Ms: number; errors: number };

/** GetOrder from `CONCURRENCY` callers until `until` resolves (or `SECONDS` pass). */
async function getOrderLoad(api: Clients, ids: string[], until: Promise<unknown> | undefined): Promise<Latency> {
  const times: number[] = [];
  let errors = 0;
  let stop = false;
  const timer = until === undefined ? setTimeout(() => (stop = true), SECONDS * 1000) : undefined;
  void until?.then(() => (stop = true));
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = worker; !stop; i += CONCURRENCY) {
        const started = performance.now();
        try {
          await api.orders.getOrder({ id: ids[i % ids.length]! });
          times.push(performance.now() - started);
        } catch {
          errors++;
        }
      }
    }),
  );
  clearTimeout(timer);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  return { calls: times.length, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

/** Peak resident set size in MiB (VmHWM, /proc/PID/status). */
function peakRssMiB(pid: number): number {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Number(match[1]) / 1024;
}

type Round = { idle: Latency; during: Latency; exportSeconds: number; bytes: number; downloadSeconds: number };

/** One round: GetOrder idle for SECONDS, then during one export; then the file downloaded from B. */
async function measureRound(a: Clients, b: Clients, ids: string[]): Promise<Round> {
  const idle = await getOrderLoad(a, ids, undefined);
  const started = performance.now();
  const { job } = await a.exports.exportOrders({ customerId: '', status: 0, format: ExportFormat.EXPORT_FORMAT_CSV, idempotencyKey: '' });
  const finished = (async () => {
    let last = job!;
    for await (const { job: state } of a.exports.watchExportJob({ id: job!.id })) if (state !== undefined) last = state;
    return { last, seconds: (performance.now() - started) / 1000 };
  })();
  const during = await getOrderLoad(a, ids, finished);
  const { last, seconds } = await finished;
  if (last.status !== ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED)
    throw new Error(`the export ended ${ExportJobStatus[last.status]}: ${last.error}`);
  const downloadStart = performance.now();
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of b.exports.downloadExport({ id: job!.id, offset: 0n })) {
    hash.update(chunk.data);
    bytes += chunk.data.length;
  }
  const downloadSeconds = (performance.now() - downloadStart) / 1000;
  if (hash.digest('hex') !== last.sha256 || BigInt(bytes) !== last.sizeBytes)
    throw new Error('the download does not match the job (sha256 or size)');
  console.error(
    `round: export ${seconds.toFixed(1)} s, GetOrder p99 idle ${idle.p99Ms.toFixed(1)} ms, during ${during.p99Ms.toFixed(1)} ms, download ${(bytes / 1e6 / downloadSeconds).toFixed(1)} MB/s`,
  );
  return { idle, during, exportSeconds: seconds, bytes, downloadSeconds };
}

function embeddedConfig(dataDir: string, encodeThreads: number, grpc: number, admin: number): string {
  return stringify({
    env: 'dev',
    grpc: { host: '127.0.0.1', port: grpc, reflection: false, tls: { enabled: false } },
    admin: { host: '127.0.0.1', port: admin },
    log: { level: 'info', format: 'json' },
    store: { kind: 'embedded', dataDir },
    services: { exports: true },
    exports: { concurrency: 1, encodeThreads },
    auth: { enabled: false },
    limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
    catalog: { seed: [{ id: 'espresso', name: 'Espresso', price: { currencyCode: 'EUR', amountMinor: 1250 } }] },
  });
}

/** The server's event-loop lag p99 and max since the previous scrape (each scrape resets prom-client's histogram), in ms. */
async function scrapeLag(adminPort: number): Promise<{ p99Ms: number; maxMs: number }> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p99Ms: gauge('nodejs_eventloop_lag_p99_seconds'), maxMs: gauge('nodejs_eventloop_lag_max_seconds') };
}

type InProcessRun = {
  variant: string;
  idle: Latency;
  during: Latency;
  idleLag: { p99Ms: number; maxMs: number };
  duringLag: { p99Ms: number; maxMs: number };
  exportSeconds: number;
};

async function inProcessRun(variant: string, api: Clients, adminPort: number, ids: string[]): Promise<InProcessRun> {
  const format = values.format === 'ndjson' ? ExportFormat.EXPORT_FORMAT_NDJSON : ExportFormat.EXPORT_FORMAT_CSV;
  await scrapeLag(adminPort);
  const idle = await getOrderLoad(api, ids, undefined);
  const idleLag = await scrapeLag(adminPort);
  const started = performance.now();
  const { job } = await api.exports.exportOrders({ customerId: '', status: 0, format, idempotencyKey: '' });
  const finished = (async () => {
    let last = job!;
    for await (const { job: state } of api.exports.watchExportJob({ id: job!.id })) if (state !== undefined) last = state;
    return { last, seconds: (performance.now() - started) / 1000 };
  })();
  const during = await getOrderLoad(api, ids, finished);
  const duringLag = await scrapeLag(adminPort);
  const { last, seconds } = await finished;
  if (last.status !== ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED)
    throw new Error(`the export ended ${ExportJobStatus[last.status]}: ${last.error}`);
  if (Number(last.ordersDone) !== ORDERS) throw new Error(`the export wrote ${last.ordersDone} orders, not ${ORDERS}`);
  console.error(
    `${variant}: export ${seconds.toFixed(1)} s; GetOrder p99 idle ${idle.p99Ms.toFixed(1)} ms, during ${during.p99Ms.toFixed(1)} ms; lag p99 idle ${idleLag.p99Ms.toFixed(1)} ms, during ${duringLag.p99Ms.toFixed(1)} ms`,
  );
  return { variant, idle, during, idleLag, duringLag, exportSeconds: seconds };
}

async function inProcess() {
  const scratch = mkdtempSync(join(tmpdir(), 'orderflow-bench-exports-'));
  const children: Child[] = [];
  try {
    const seeded = join(scratch, 'seeded');
    const seedStart = performance.now();
    const driver = await openPgliteDriver(seeded);
    await migrate(driver);
    await driver.query(SEED_SQL, [ORDERS]);
    await driver.close();
    console.error(`seeded ${ORDERS} orders into PGlite in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    const ids = Array.from(
      { length: 1000 },
      () => `01900000-0000-7000-8000-${(1 + Math.floor(Math.random() * ORDERS)).toString(16).padStart(12, '0')}`,
    );
    const variants = [
      { name: 'on the loop (encodeThreads 0)', threads: 0 },
      { name: 'in a thread (encodeThreads 1)', threads: 1 },
    ];
    const servers = [];
    for (const v of variants) {
      const dataDir = join(scratch, `data-${v.threads}`);
      cpSync(seeded, dataDir, { recursive: true });
      const [grpc, admin] = [await freePort(), await freePort()];
      const child = await startProcess(
        `server-${v.threads}`,
        'dist/cmd/server.js',
        embeddedConfig(dataDir, v.threads, grpc, admin),
        'serving',
      );
      children.push(child);
      const api = connect(`127.0.0.1:${grpc}`);
      await getOrderLoad(api, ids, undefined); // warm-up
      servers.push({ ...v, api, admin, child });
    }
    const runs: InProcessRun[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) runs.push(await inProcessRun(s.name, s.api, s.admin, ids));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const result = {
      mode: 'in-process (embedded PGlite store, services.exports: true)',
      orders: ORDERS,
      format: values.format,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      variants: Object.fromEntries(
        servers.map((s) => {
          const mine = runs.filter((r) => r.variant === s.name);
          const pick = (f: (r: InProcessRun) => number) => median(mine.map(f));
          return [
            s.name,
            {
              ordersPerSecond: pick((r) => ORDERS / r.exportSeconds),
              lagP99IdleMs: pick((r) => r.idleLag.p99Ms),
              lagP99DuringMs: pick((r) => r.duringLag.p99Ms),
              lagMaxDuringMs: pick((r) => r.duringLag.maxMs),
              getOrderP99IdleMs: pick((r) => r.idle.p99Ms),
              getOrderP99DuringMs: pick((r) => r.during.p99Ms),
              getOrderP50DuringMs: pick((r) => r.during.p50Ms),
              getOrderP99RatioPerRound: mine.map((r) => r.during.p99Ms / r.idle.p99Ms),
              lagP99DuringPerRound: mine.map((r) => r.duringLag.p99Ms),
              serverPeakRssMiB: peakRssMiB(s.child.pid),
              errors: mine.reduce((n, r) => n + r.idle.errors + r.during.errors, 0),
            },
          ];
        }),
      ),
      machine: { cores: availableParallelism(), loadavg: loadavg() },
    };
    console.log(JSON.stringify(result, null, 2));
    for (const s of servers) s.api.close();
  } finally {
    for (const child of children.reverse()) await child.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

killChildrenOnExit();
if (values['in-process']) await inProcess();
else await scaleOut();

async function scaleOut() {
  const database = `orderflow_bench_exports_${randomBytes(4).toString('hex')}`;
  await postgresAdmin(`CREATE DATABASE ${database}`);
  const redis = await OwnRedisServer.start(['--maxmemory-policy', 'noeviction']);
  const children: Child[] = [];
  try {
    const [gA, aA, gB, aB, aW] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const serverA = await startProcess('server-a', 'dist/cmd/server.js', config(database, redis.port, gA, aA), 'serving');
    children.push(serverA);
    const serverB = await startProcess('server-b', 'dist/cmd/server.js', config(database, redis.port, gB, aB), 'serving');
    children.push(serverB);
    const seedStart = performance.now();
    const ids = await seed(database);
    console.error(`seeded ${ORDERS} orders in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    const worker = await startProcess('worker', 'dist/cmd/worker.js', config(database, redis.port, 0, aW), 'worker taking export jobs');
    children.push(worker);
    const a = connect(`127.0.0.1:${gA}`);
    const b = connect(`127.0.0.1:${gB}`);

    await getOrderLoad(a, ids, undefined); // warm-up
    const rssBefore = rssMiB(worker.pid);
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) rounds.push(await measureRound(a, b, ids));
    const median = (pick: (r: Round) => number) => {
      const sorted = rounds.map(pick).sort((x, y) => x - y);
      return sorted[Math.floor(sorted.length / 2)]!;
    };
    const result = {
      orders: ORDERS,
      rounds: ROUNDS,
      export: {
        ordersPerSecond: median((r) => ORDERS / r.exportSeconds),
        sizeMiB: rounds[0]!.bytes / 2 ** 20,
        workerRssBeforeMiB: rssBefore,
        workerPeakRssMiB: peakRssMiB(worker.pid),
      },
      getOrder: {
        concurrency: CONCURRENCY,
        idleP99Ms: median((r) => r.idle.p99Ms),
        duringP99Ms: median((r) => r.during.p99Ms),
        idleP50Ms: median((r) => r.idle.p50Ms),
        duringP50Ms: median((r) => r.during.p50Ms),
        p99RatioPerRound: rounds.map((r) => r.during.p99Ms / r.idle.p99Ms),
        p99RatioMedian: median((r) => r.during.p99Ms / r.idle.p99Ms),
        errors: rounds.reduce((n, r) => n + r.idle.errors + r.during.errors, 0),
      },
      download: { mbPerSecond: median((r) => r.bytes / 1e6 / r.downloadSeconds), fromReplicaThatRanNothing: true },
      perRound: rounds.map((r) => ({ exportSeconds: r.exportSeconds, idle: r.idle, during: r.during, downloadSeconds: r.downloadSeconds })),
      machine: { cores: availableParallelism(), loadavg: loadavg() },
    };
    console.log(JSON.stringify(result, null, 2));
    a.close();
    b.close();
  } finally {
    for (const child of children.reverse()) await child.stop();
    await redis.stop();
    await postgresAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}
