// Event-loop lag of the server on the embedded store (PGlite) under 50 concurrent callers, its
// idle memory, and how late it handles SIGTERM under that load. The server runs as a real
// process (src/cmd/server.ts); the callers run in a child process of their own (this file with
// --callers) so that nothing here competes with the loop being measured.
//
//   npx tsx bench/embedded-lag.ts [--rounds 3] [--duration 15] [--concurrency 50]
//                                 [--against name=/path/to/another/checkout ...] [--reference]
//
// With --against, each round runs every checkout in turn (the order rotates), so that a
// before/after comparison is measured side by side on a shared machine; --reference adds this
// checkout on the memory store: the lag of the same server and load without PGlite, i.e. what
// the machine and the gRPC stack alone cost. Lag is the server's own
// monitorEventLoopDelay histogram (prom-client, reset by each /metrics scrape), read over the
// loaded window; the probes time /health/live (the loop only) and /health/ready (the loop and a
// store query) from outside.
import { spawn } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createChannel, createClient } from 'nice-grpc';
import { stringify } from 'yaml';
import { OrderServiceDefinition } from '../src/gen/orderflow/orders/v1/order_service.js';
import { createInterface } from 'node:readline';

/** A checkout to measure; `store: memory` is the reference: the same server without PGlite. */
type Variant = { name: string; root: string; template: string; store: 'embedded' | 'memory'; firstStartRssMiB?: number };
const FIGURES = ['lagP99Ms', 'lagMaxMs', 'liveP99Ms', 'readyP99Ms', 'sigtermLateMs', 'rps', 'idleRssMiB', 'loadedRssMiB'] as const;
type Run = Record<(typeof FIGURES)[number], number> & { round: number };

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '50' },
    against: { type: 'string', multiple: true, default: [] },
    reference: { type: 'boolean', default: false },
    callers: { type: 'string' }, // internal: run the callers against this address
  },
});
const DURATION_S = Number(values.duration);
const CONCURRENCY = Number(values.concurrency);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * The callers: CreateOrder 20 %, GetOrder 40 %, ListOrders 40 %. SIGUSR2 marks the start and the
 * end of the measured window (the rate is counted between them); SIGTERM stops the callers.
 */
async function callers(address: string): Promise<void> {
  const channels = Array.from({ length: 4 }, (_, i) =>
    createChannel(address, undefined, { 'grpc.use_local_subchannel_pool': 1, 'bench.channel_id': i }),
  );
  const clients = channels.map((channel) => createClient(OrderServiceDefinition, channel));
  const ids: string[] = [];
  let ok = 0;
  let running = true;
  const marks: { ok: number; at: number }[] = [];
  process.on('SIGUSR2', () => marks.push({ ok, at: performance.now() }));
  process.once('SIGTERM', () => (running = false));
  const create = async (i: number, client = clients[i % clients.length]!) => {
    const { order } = await client.createOrder({
      customerId: `lag-${i % 20}`,
      items: [
        { productId: 'espresso', quantity: 1 + (i % 3) },
        { productId: 'cup', quantity: 1 },
      ],
      idempotencyKey: '',
    });
    if (order !== undefined) ids.push(order.id);
  };
  for (let i = 0; i < 200; i++) await create(i); // orders to get and list
  process.stdout.write(`${JSON.stringify({ event: 'loaded' })}\n`);
  const caller = async (k: number) => {
    for (let i = k; running; i += CONCURRENCY) {
      const client = clients[i % clients.length]!;
      const pick = Math.random();
      try {
        if (pick < 0.2) await create(i, client);
        else if (pick < 0.6) await client.getOrder({ id: ids[Math.floor(Math.random() * ids.length)]! });
        else await client.listOrders({ customerId: `lag-${i % 20}`, status: 0, pageSize: 20, pageToken: '' });
        ok++;
      } catch {
        await sleep(10); // the server is going away: do not spin
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, k) => caller(k)));
  const [from, to] = marks;
  const rps = from === undefined || to === undefined ? NaN : ((to.ok - from.ok) * 1000) / (to.at - from.at);
  process.stdout.write(`${JSON.stringify({ event: 'done', rps })}\n`);
  for (const channel of channels) channel.close();
}

// Self-contained (no other bench/ module), so that it runs unchanged while the main harness evolves.
const PRODUCTS = [
  { id: 'espresso', name: 'Espresso beans', price: { currencyCode: 'EUR', amountMinor: 1250 } },
  { id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400 } },
];

/** Resident set size in MiB, from /proc/<pid>/status (Linux). */
function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Number(match[1]) / 1024;
}

function spread(values: readonly number[]) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN };
}

/** The callers, as a child process; `event(name)` resolves with its JSON line of that event. */
function startCallers(address: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve('bench/embedded-lag.ts'), '--callers', address, '--concurrency', String(CONCURRENCY)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  live.add(child);
  const exited = new Promise((done) => child.once('exit', done)).finally(() => live.delete(child));
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const event = async (name: string) => {
    for (let waited = 0; waited < 120_000; waited += 100) {
      const found = lines.find((l) => l.event === name);
      if (found !== undefined) return found;
      await sleep(100);
    }
    throw new Error(`the callers printed no ${name} line`);
  };
  return { process: child, exited, event };
}

function configYaml(variant: Variant, dataDir: string): string {
  return stringify({
    env: 'dev',
    grpc: { host: '127.0.0.1', port: 0, reflection: false, tls: { enabled: false } },
    admin: { host: '127.0.0.1', port: 0 },
    log: { level: 'info', format: 'json' },
    store: variant.store === 'memory' ? { kind: 'memory' } : { kind: 'embedded', dataDir },
    auth: { enabled: false },
    limits: { ratePerSecond: 1_000_000_000, rateBurst: 1_000_000_000 },
    shutdown: { timeoutMs: 10_000, drainDelayMs: 0, closeTimeoutMs: 5000 },
    catalog: { seed: PRODUCTS },
  });
}

/**
 * The server under test, its log going to a file as in production: a pipe that this (busy)
 * process drains late would block the server's synchronous log writes and count as its lag.
 */
async function startServer(variant: Variant, dataDir: string, scratch: string) {
  const confPath = join(scratch, `${variant.name}.yaml`);
  const logPath = join(scratch, `${variant.name}.log`);
  writeFileSync(confPath, configYaml(variant, dataDir));
  const log = openSync(logPath, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cmd/server.ts'], {
    cwd: variant.root,
    env: { PATH: process.env.PATH ?? '', CONF_PATH: confPath },
    stdio: ['ignore', log, 'inherit'],
  });
  closeSync(log);
  live.add(child);
  const exited = new Promise((done) => child.once('exit', done)).finally(() => live.delete(child));
  const lines: string[] = [];
  let offset = 0;
  let partial = '';
  const readNew = () => {
    const chunk = readFileSync(logPath).subarray(offset);
    offset += chunk.length;
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((l) => !l.includes('"msg":"finished call"'))); // the access log is not looked for
  };
  const logLine = async (msg: string): Promise<Record<string, unknown>> => {
    for (let waited = 0; waited < 120_000; waited += 100) {
      const exited = child.exitCode !== null;
      readNew();
      const line = lines.find((l) => l.includes(`"msg":"${msg}"`));
      if (line !== undefined) return JSON.parse(line) as Record<string, unknown>;
      if (exited) break;
      await sleep(100);
    }
    throw new Error(`${variant.name}: no "${msg}" log line (exit code ${child.exitCode}); see ${logPath}`);
  };
  const serving = await logLine('serving');
  return { pid: child.pid!, process: child, exited, logLine, grpc: String(serving.grpc), admin: `http://${String(serving.admin)}` };
}

const live = new Set<ReturnType<typeof spawn>>();

/** Seconds → ms of one gauge from a /metrics scrape (each scrape also resets the lag histogram). */
async function scrapeLag(admin: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const gauge = (name: string) =>
    Number(/^(\S+) (\S+)/.exec(text.split('\n').find((l) => l.startsWith(`${name} `)) ?? '')?.[2] ?? NaN) * 1000;
  return { p99: gauge('nodejs_eventloop_lag_p99_seconds'), max: gauge('nodejs_eventloop_lag_max_seconds') };
}

/** Times `path` every 100 ms until `until` resolves; resolves with the p99 and max in ms. */
async function probe(admin: string, path: string, until: Promise<unknown>) {
  const times: number[] = [];
  let done = false;
  void until.then(() => (done = true));
  while (!done) {
    const started = performance.now();
    await fetch(`${admin}${path}`).then((r) => r.arrayBuffer());
    times.push(performance.now() - started);
    await sleep(100);
  }
  times.sort((a, b) => a - b);
  return { p99: times[Math.floor(times.length * 0.99)] ?? NaN, max: times.at(-1) ?? NaN };
}

async function measure(variant: Variant, round: number, scratch: string): Promise<Run> {
  const dataDir = join(scratch, `${variant.name}-${round}`);
  if (variant.store === 'embedded') cpSync(variant.template, dataDir, { recursive: true });
  const server = await startServer(variant, dataDir, scratch);
  await sleep(5000);
  const idleRss = rssMiB(server.pid);
  const load = startCallers(server.grpc);
  await load.event('loaded');
  await scrapeLag(server.admin); // resets the histogram: what follows is the loaded window
  load.process.kill('SIGUSR2');
  const window = sleep(DURATION_S * 1000);
  const [live, ready] = await Promise.all([probe(server.admin, '/health/live', window), probe(server.admin, '/health/ready', window)]);
  load.process.kill('SIGUSR2');
  const lag = await scrapeLag(server.admin);
  const loadedRss = rssMiB(server.pid);
  const killedAt = Date.now();
  server.process.kill('SIGTERM'); // still under load: how late is the signal handled?
  const shutting = await server.logLine('shutting down');
  load.process.kill('SIGTERM');
  const { rps } = (await load.event('done')) as { rps: number };
  await Promise.all([server.exited, load.exited]);
  rmSync(dataDir, { recursive: true, force: true });
  return {
    round,
    lagP99Ms: lag.p99,
    lagMaxMs: lag.max,
    liveP99Ms: live.p99,
    readyP99Ms: ready.p99,
    sigtermLateMs: Date.parse(String(shutting.time)) - killedAt,
    rps,
    idleRssMiB: idleRss,
    loadedRssMiB: loadedRss,
  };
}

/** A migrated data directory per checkout, made by starting its server once (its first start: initdb). */
async function makeTemplate(name: string, root: string, store: Variant['store'], scratch: string): Promise<Variant> {
  const variant: Variant = { name, root, template: join(scratch, `${name}-template`), store };
  const server = await startServer(variant, variant.template, scratch);
  await sleep(5000);
  variant.firstStartRssMiB = rssMiB(server.pid);
  server.process.kill('SIGTERM');
  await server.exited;
  return variant;
}

async function main(): Promise<void> {
  // No child outlives the benchmark, Ctrl-C included.
  process.on('exit', () => live.forEach((child) => child.kill('SIGKILL')));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const scratch = mkdtempSync(join(tmpdir(), 'orderflow-lag-'));
  try {
    const roots = [['this', process.cwd()], ...values.against.map((a) => a.split('='))] as [string, string][];
    const variants = [];
    for (const [name, root] of roots) variants.push(await makeTemplate(name, resolve(root), 'embedded', scratch));
    if (values.reference) variants.push(await makeTemplate('memory-store', process.cwd(), 'memory', scratch));
    const runs = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
    for (let round = 0; round < Number(values.rounds); round++) {
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(i + round) % variants.length]!;
        const run = await measure(variant, round, scratch);
        runs.get(variant.name)!.push(run);
        console.error(JSON.stringify({ variant: variant.name, ...run }));
      }
    }
    report(variants, runs);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const cell = (values: number[], digits = 0) => {
  const s = spread(values);
  return `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;
};

/** Medians over rounds, and each variant's lag p99 over the memory-store reference's in the same round. */
function report(variants: Variant[], runs: Map<string, Run[]>): void {
  const reference = runs.get('memory-store');
  console.log(
    `\n${CONCURRENCY} callers, ${DURATION_S} s per run, medians over rounds [min–max]; machine load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(['variant', ...FIGURES, 'firstStartRssMiB', ...(reference ? ['lagP99/reference'] : [])].join('\t'));
  for (const variant of variants) {
    const list = runs.get(variant.name)!;
    const ratios =
      reference === undefined
        ? []
        : [
            cell(
              list.map((r) => r.lagP99Ms / (reference.find((x) => x.round === r.round)?.lagP99Ms ?? NaN)),
              2,
            ),
          ];
    console.log(
      [variant.name, ...FIGURES.map((k) => cell(list.map((r) => r[k]))), (variant.firstStartRssMiB ?? NaN).toFixed(0), ...ratios].join(
        '\t',
      ),
    );
  }
}

if (values.callers !== undefined) await callers(values.callers);
else await main();
