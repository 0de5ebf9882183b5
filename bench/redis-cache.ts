// GetOrder with the order cache in Redis against the in-process cache, and with Redis stopped
// against a plain cache miss; four orderflow servers (real processes, PostgreSQL store, one
// database of this run's own) measured in interleaved rounds:
//   memory      cache.kind: memory, every call a hit
//   redis       cache.kind: redis on a redis-server of this run's own, every call a hit
//   miss        the same Redis, ttlMs 1: every call misses (MGET, the store, the SET)
//   redis-down  cache.kind: redis on a second redis-server, SIGKILLed before measuring
// Reports req/s, server CPU µs per call and latency per scenario (medians over rounds) and the
// per-round ratios redis/memory (target ≥ 0.8 req/s) and redis-down/miss (target p50 ≤ 2×).
//   npx tsx bench/redis-cache.ts [--rounds 5] [--seconds 3] [--concurrency 32]
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { stringify } from 'yaml';
import {
  CreateOrderRequest,
  CreateOrderResponse,
  GetOrderRequest,
  GetOrderResponse,
} from '../src/gen/orderflow/orders/v1/order_service.js';
import { freePort, OwnRedisServer } from '../test/support/redis.js';
import { POSTGRES, postgresAdmin } from '../test/support/required-services.js';
import { Child, cpuSeconds, killChildrenOnExit } from './processes.js';
import { spread } from './stats.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '32' },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const ROOT = join(import.meta.dirname, '..');
const ORDERS = 500;

type Server = { name: string; child: Child; client: Client };
type Result = { rps: number; cpuUsPerCall: number; p50Ms: number; p99Ms: number; errors: number };

function yaml(grpc: number, admin: number, database: string, cache: Record<string, unknown>): string {
  return stringify({
    env: 'dev',
    grpc: { host: '127.0.0.1', port: grpc, reflection: false, tls: { enabled: false } },
    admin: { host: '127.0.0.1', port: admin },
    log: { level: 'warn', format: 'json' },
    store: { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database, migrate: true, poolMax: 10 },
    cache,
    catalog: { seed: [{ id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400 } }] },
    auth: { enabled: false },
    limits: { ratePerSecond: 1e9, rateBurst: 1e9 },
    shutdown: { timeoutMs: 2000, drainDelayMs: 0, closeTimeoutMs: 2000 },
  });
}

async function startServer(name: string, database: string, cache: Record<string, unknown>): Promise<Server> {
  const [grpc, admin] = [await freePort(), await freePort()];
  const confPath = join(tmpdir(), `orderflow-bench-${name}-${randomBytes(3).toString('hex')}.yaml`);
  writeFileSync(confPath, yaml(grpc, admin, database, cache));
  const child = new Child({
    name,
    nodeArgs: ['--import', 'tsx', join(ROOT, 'src/cmd/server.ts')],
    cwd: ROOT,
    env: { CONF_PATH: confPath },
    core: undefined,
  });
  for (let ready = false; !ready; await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (child.process.exitCode !== null) throw new Error(`${name} exited: ${child.stderr()}`);
    ready = await fetch(`http://127.0.0.1:${admin}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
  }
  return { name, child, client: new Client(`127.0.0.1:${grpc}`, credentials.createInsecure()) };
}

function unary<Req, Res>(
  client: Client,
  path: string,
  codec: { req: { encode(m: Req): { finish(): Uint8Array } }; res: { decode(b: Uint8Array): Res } },
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const encode = (m: Req) => Buffer.from(codec.req.encode(m).finish());
    client.makeUnaryRequest(
      path,
      encode,
      (b: Buffer) => codec.res.decode(b),
      request,
      new Metadata(),
      { deadline: Date.now() + 10_000 },
      (error, value) => (error === null && value !== undefined ? resolve(value) : reject(error ?? new Error('no response'))),
    );
  });
}

const getOrder = (client: Client, id: string) =>
  unary(client, '/orderflow.orders.v1.OrderService/GetOrder', { req: GetOrderRequest, res: GetOrderResponse }, { id });

/** CONCURRENCY callers of GetOrder over `ids` for `seconds`; server CPU read from /proc around the window. */
async function measure(server: Server, ids: string[], seconds: number): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const cpuBefore = cpuSeconds(server.child.pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const at = performance.now();
        try {
          await getOrder(server.client, ids[n++ % ids.length] ?? '');
          latencies.push(performance.now() - at);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(server.child.pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    rps: latencies.length / elapsed,
    cpuUsPerCall: (cpu * 1e6) / Math.max(1, latencies.length),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    errors,
  };
}

async function main(): Promise<void> {
  killChildrenOnExit();
  const database = `orderflow_bench_${randomBytes(4).toString('hex')}`;
  await postgresAdmin(`CREATE DATABASE ${database}`);
  const [up, down] = [await OwnRedisServer.start(), await OwnRedisServer.start()];
  const redis = (server: OwnRedisServer, extra: Record<string, unknown> = {}) => ({
    kind: 'redis',
    ...extra,
    redis: { port: server.port, keyPrefix: `bench-${randomBytes(3).toString('hex')}:` },
  });
  const servers: Server[] = [];
  try {
    servers.push(await startServer('memory', database, { kind: 'memory' }));
    servers.push(await startServer('redis', database, redis(up)));
    servers.push(await startServer('miss', database, redis(up, { ttlMs: 1, ttlJitterRatio: 0 })));
    servers.push(await startServer('redis-down', database, redis(down)));
    await down.kill();
    const ids: string[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const request = { customerId: `bench-${i % 50}`, items: [{ productId: 'cup', quantity: 1 + (i % 3) }], idempotencyKey: '' };
      const created = await unary(
        servers[0]!.client,
        '/orderflow.orders.v1.OrderService/CreateOrder',
        { req: CreateOrderRequest, res: CreateOrderResponse },
        request,
      );
      ids.push(created.order?.id ?? '');
    }
    for (const server of servers) await measure(server, ids, 1); // warm-up: connections, JIT, caches filled
    const rounds: Record<string, Result>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const results: Record<string, Result> = {};
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) results[server.name] = await measure(server, ids, SECONDS);
      rounds.push(results);
      console.error(
        `round ${round + 1}/${ROUNDS}: ${Object.entries(results)
          .map(([k, r]) => `${k} ${r.rps.toFixed(0)}/s`)
          .join(', ')}`,
      );
    }
    report(
      rounds,
      servers.map((s) => s.name),
    );
  } finally {
    for (const server of servers) server.client.close();
    await Promise.allSettled(servers.map((s) => s.child.stop()));
    await Promise.allSettled([up.stop(), down.stop()]);
    await postgresAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

function report(rounds: Record<string, Result>[], names: string[]): void {
  const pick = (name: string, f: (r: Result) => number) => spread(rounds.map((r) => f(r[name]!)));
  const ratio = (a: string, b: string, f: (r: Result) => number) => spread(rounds.map((r) => f(r[a]!) / f(r[b]!)));
  const fmt = (s: { median: number; min: number; max: number }, d = 0) =>
    `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
  const lines = [
    `GetOrder, ${CONCURRENCY} concurrent callers, PostgreSQL store, ${ROUNDS} interleaved rounds of ${SECONDS} s; ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} (shared machine)`,
    '',
    '| scenario | req/s | server CPU µs/call | p50 ms | p99 ms | errors |',
    '|---|---|---|---|---|---|',
    ...names.map(
      (n) =>
        `| ${n} | ${fmt(pick(n, (r) => r.rps))} | ${fmt(pick(n, (r) => r.cpuUsPerCall))} | ${fmt(
          pick(n, (r) => r.p50Ms),
          2,
        )} | ${fmt(
          pick(n, (r) => r.p99Ms),
          2,
        )} | ${rounds.reduce((s, r) => s + r[n]!.errors, 0)} |`,
    ),
    '',
    'Per-round ratios, median (range):',
    `- redis / memory req/s: ${fmt(
      ratio('redis', 'memory', (r) => r.rps),
      2,
    )} (target ≥ 0.8)`,
    `- redis / memory CPU per call: ${fmt(
      ratio('redis', 'memory', (r) => r.cpuUsPerCall),
      2,
    )}`,
    `- redis-down / miss p50 latency: ${fmt(
      ratio('redis-down', 'miss', (r) => r.p50Ms),
      2,
    )} (target ≤ 2)`,
    `- redis-down / miss p99 latency: ${fmt(
      ratio('redis-down', 'miss', (r) => r.p99Ms),
      2,
    )}`,
    `- redis-down / miss req/s: ${fmt(
      ratio('redis-down', 'miss', (r) => r.rps),
      2,
    )}`,
  ];
  console.log(lines.join('\n'));
}

await main();
