// One measured run of one scenario: the load (h2load for unary calls, bench/watch-load.ts for
// streams) on the load core, the server's CPU from /proc sampled around the window, and every
// check that the calls really succeeded. A failed check throws: a scenario whose calls fail
// reports no throughput.
import { join } from 'node:path';
import { readH2loadLog, runH2load } from './h2load.js';
import type { BenchOptions } from './options.js';
import { busySeconds, Child, cpuSeconds, rssMiB } from './processes.js';
import type { Scenario } from './scenarios.js';
import { delta, handledByCode, type Scrape, scrape, sum } from './server-counters.js';
import { callHeaders, type RunningServer } from './servers.js';
import type { Measurement } from './stats.js';
import type { UnaryTarget, WatchTarget } from './targets.js';
import { checkUnary, checkWatch, type WatchResult } from './verify.js';

export type Cores = Readonly<{ server: number | undefined; load: number | undefined }>;
export type MeasureContext = Readonly<{ options: BenchOptions; cores: Cores; root: string; dir: string }>;

type CpuSample = Readonly<{ at: number; server: number; harness: number; all: number; cores: number[] }>;

function sampleCpu(pid: number): CpuSample {
  const self = process.cpuUsage();
  const busy = busySeconds();
  return { at: performance.now(), server: cpuSeconds(pid), harness: (self.user + self.system) / 1e6, all: busy.all, cores: busy.cores };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The figures every kind of run shares, from the CPU samples around its window. */
function cpuFigures(opened: CpuSample, closed: CpuSample, generatorCpuS: number, ops: number, cores: Cores) {
  const windowS = (closed.at - opened.at) / 1000;
  const pct = (seconds: number) => (seconds / windowS) * 100;
  const server = closed.server - opened.server;
  const harness = closed.harness - opened.harness;
  const busyOn = (core: number | undefined) => (core === undefined ? NaN : (closed.cores[core] ?? NaN) - (opened.cores[core] ?? NaN));
  return {
    cpuUsPerOp: (server * 1e6) / ops,
    serverCpuPct: pct(server),
    generatorCpuPct: pct(generatorCpuS),
    generatorCpuUsPerOp: (generatorCpuS * 1e6) / ops,
    harnessCpuPct: pct(harness),
    otherCpuPct: pct(closed.all - opened.all - server - generatorCpuS - harness),
    otherOnServerCorePct: pct(busyOn(cores.server) - server),
    otherOnLoadCorePct: pct(busyOn(cores.load) - generatorCpuS - harness),
  };
}

/**
 * The server's counters once the calls the warm-up cut at its end have been counted too (a
 * starved server may take a while): until its count for `method` stops moving.
 */
async function settled(server: RunningServer, method: string): Promise<Scrape> {
  const total = (s: Scrape) => [...handledByCode(s, method).values()].reduce((a, b) => a + b, 0);
  let last = await scrape(server.adminUrl);
  for (let i = 0; i < 40; i++) {
    await sleep(250);
    const next = await scrape(server.adminUrl);
    if (total(next) === total(last)) return next;
    last = next;
  }
  throw new Error(`${server.key}: its ${method} count was still moving 10 s after the warm-up`);
}

export async function measureUnary(
  scenario: Scenario,
  server: RunningServer,
  target: UnaryTarget,
  round: number,
  ctx: MeasureContext,
): Promise<Measurement> {
  const { options, cores } = ctx;
  const base = {
    url: target.url,
    bodyFile: target.bodyFile,
    headers: callHeaders(server),
    connections: options.connections,
    streams: options.streams,
    core: cores.load,
  };
  const warm = await runH2load({ ...base, durationS: options.warmupS });
  if (warm.succeeded === 0) throw new Error(`${scenario.name}: no call succeeded during the warm-up`);
  const before = await settled(server, target.method);
  // A fixed number of calls, all awaited, sized from the warm-up's rate to last about --duration.
  const perConnection = Math.max(1, Math.round(((warm.succeeded / warm.seconds) * options.durationS) / options.connections));
  const requests = perConnection * options.connections;
  const logFile = join(ctx.dir, `h2load-${scenario.name.replace(/\W/g, '-')}-${round}.log`);
  const opened = sampleCpu(server.child.pid);
  const run = await runH2load({ ...base, requests, logFile });
  const closed = sampleCpu(server.child.pid);
  const after = await scrape(server.adminUrl);
  const latency = readH2loadLog(logFile);
  const checks = checkUnary(scenario, server, target, { requests, run, latency, before, after });
  return {
    scenario: scenario.name,
    round,
    rate: requests / run.seconds,
    ...cpuFigures(opened, closed, run.cpuSeconds, requests, cores),
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    rssMiB: rssMiB(server.child.pid),
    ops: requests,
    checks,
  };
}

export async function measureWatch(
  scenario: Scenario,
  server: RunningServer,
  target: WatchTarget,
  round: number,
  ctx: MeasureContext,
): Promise<Measurement> {
  const { options, cores } = ctx;
  const load = scenario.load.kind === 'watch' ? scenario.load : undefined;
  if (load === undefined) throw new Error(`${scenario.name} is not a watch scenario`);
  const args = [
    '--address',
    server.address,
    '--connections',
    String(load.connections),
    '--streams',
    String(load.streamsPerConnection),
    '--events',
    String(target.events),
    '--warmup',
    String(options.warmupS),
    '--duration',
    String(options.durationS),
  ];
  const before = await scrape(server.adminUrl);
  const env: Record<string, string> = server.authorization === undefined ? {} : { BENCH_AUTHORIZATION: server.authorization };
  const generator = new Child({
    name: `watch-load → ${scenario.name}`,
    nodeArgs: ['--import', 'tsx', 'bench/watch-load.ts', ...args],
    cwd: ctx.root,
    env,
    core: cores.load,
    isGenerator: true,
  });
  const timeoutMs = (options.warmupS + options.durationS) * 1000 + 30_000;
  const on = (event: string) => generator.nextLine((line) => line.event === event, timeoutMs);
  const [opened, closed, line] = await Promise.all([
    on('measuring').then(() => sampleCpu(server.child.pid)),
    on('measured').then(() => sampleCpu(server.child.pid)),
    on('result'),
  ]);
  await generator.exited;
  await sleep(300); // the server ends the streams the generator dropped
  const after = await scrape(server.adminUrl);
  const result = line as unknown as WatchResult;
  const handled = delta(handledByCode(before, 'WatchOrders'), handledByCode(after, 'WatchOrders'));
  const sent = delta(
    sum(before, 'grpc_server_msg_sent_total', { grpc_method: 'WatchOrders' }),
    sum(after, 'grpc_server_msg_sent_total', { grpc_method: 'WatchOrders' }),
  );
  const checks = checkWatch(scenario, server, target, result, handled, sent.get('') ?? 0);
  const windowS = (closed.at - opened.at) / 1000;
  return {
    scenario: scenario.name,
    round,
    rate: result.messages / result.windowS,
    ...cpuFigures(opened, closed, (result.generatorCpuPct / 100) * windowS, result.messages, cores),
    p50Ms: NaN,
    p99Ms: NaN,
    rssMiB: rssMiB(server.child.pid),
    ops: result.messages,
    checks: [...checks, `${(result.bytes / Math.max(1, result.messages)).toFixed(0)} B/message on the wire`],
  };
}
