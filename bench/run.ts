// `npm run bench`: starts the baseline and the orderflow scenarios as real processes, measures
// each method round by round with the scenarios interleaved, then prints the table and writes
// bench/REPORT.md. See bench/report.ts for how to read the numbers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHOD_NAMES, type MethodName } from './contract.js';
import { type BenchOptions, readOptions, USAGE } from './options.js';
import { Child, cpuSeconds, killChildrenOnExit, machineBusySeconds, rssMiB } from './processes.js';
import { type BenchRun, markdownReport, ratioLines, textTable } from './report.js';
import { type Scenario, SCENARIOS } from './scenarios.js';
import { handledOk, type RunningServer, type Sink, startServer, startSink } from './servers.js';
import { type Measurement, spread } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPORT_PATH = join(ROOT, 'bench/REPORT.md');

type Line = Record<string, unknown>;
/** CPU seconds of the server and of this process at one instant. */
type CpuSample = Readonly<{ at: number; server: number; harness: number; machine: number }>;

function sampleCpu(server: RunningServer): CpuSample {
  const self = process.cpuUsage();
  return { at: performance.now(), server: cpuSeconds(server.child.pid), harness: (self.user + self.system) / 1e6, machine: machineBusySeconds() };
}

/** One run of the load generator against one server; CPU is sampled when its window opens and closes. */
async function runLoad(server: RunningServer, method: MethodName, options: BenchOptions): Promise<{ opened: CpuSample; closed: CpuSample; result: Line }> {
  const args = ['--address', server.address, '--method', method, '--concurrency', String(options.concurrency), '--channels', String(options.channels), '--duration', String(options.durationS), '--warmup', String(options.warmupS), '--deadline-ms', String(options.deadlineMs)];
  const load = new Child(`load generator (${method} → ${server.scenario.label})`, join(ROOT, 'bench/load.ts'), args, ROOT, {});
  const timeoutMs = (options.warmupS + options.durationS) * 1000 + 30_000;
  const on = (event: string) => load.nextLine((line) => line.event === event, timeoutMs);
  const [opened, closed, result] = await Promise.all([on('measuring').then(() => sampleCpu(server)), on('measured').then(() => sampleCpu(server)), on('result')]);
  await load.exited;
  if (server.child.process.exitCode !== null) throw new Error(`${server.scenario.label} exited during the run:\n${server.child.stderr()}`);
  if (Number(result.errors) > 0) console.warn(`    ${String(result.errors)} call(s) failed: ${JSON.stringify(result.errorSamples)}`);
  return { opened, closed, result };
}

async function measure(server: RunningServer, method: MethodName, round: number, options: BenchOptions): Promise<Measurement> {
  const { opened, closed, result } = await runLoad(server, method, options);
  const windowS = (closed.at - opened.at) / 1000;
  const pct = (from: number, to: number) => ((to - from) / windowS) * 100;
  return {
    method,
    scenario: server.scenario.key,
    round,
    rps: Number(result.rps),
    p50Ms: Number(result.p50Ms),
    p99Ms: Number(result.p99Ms),
    serverCpuPct: pct(opened.server, closed.server),
    serverCpuUsPerCall: ((closed.server - opened.server) * 1e6) / Number(result.ok),
    clientCpuPct: Number(result.clientCpuPct),
    harnessCpuPct: pct(opened.harness, closed.harness),
    // Whatever else ran on the machine meanwhile: the noise this run competed with.
    otherCpuPct: pct(opened.machine, closed.machine) - pct(opened.server, closed.server) - Number(result.clientCpuPct) - pct(opened.harness, closed.harness),
    // After the run, as the brief asks: what the server holds once the load has passed.
    rssMiB: rssMiB(server.child.pid),
    ok: Number(result.ok),
    errors: Number(result.errors),
    totalOk: Number(result.totalOk),
  };
}

function progress(m: Measurement, label: string, total: number): void {
  const f = (n: number, d = 0) => n.toFixed(d);
  console.log(
    `[round ${m.round}/${total}] ${m.method} · ${label} … ${f(m.rps)} req/s  p50 ${f(m.p50Ms, 1)} ms  p99 ${f(m.p99Ms, 1)} ms  server CPU ${f(m.serverCpuPct)}% (${f(m.serverCpuUsPerCall)} µs/call)  client CPU ${f(m.clientCpuPct)}%  RSS ${f(m.rssMiB)} MiB`,
  );
}

/** Method by method, round by round; within a round every scenario once, always in the same order. */
async function measureAll(servers: readonly RunningServer[], options: BenchOptions): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  for (const method of METHOD_NAMES) {
    for (let round = 1; round <= options.rounds; round++) {
      for (const server of servers.filter((s) => s.scenario.methods.includes(method))) {
        const m = await measure(server, method, round, options);
        measurements.push(m);
        progress(m, server.scenario.label, options.rounds);
      }
    }
  }
  return measurements;
}

/** Did telemetry do its work? The server counted the calls, logged them and exported spans. */
async function sanityChecks(servers: readonly RunningServer[], measurements: readonly Measurement[], sink: Sink): Promise<string[]> {
  const lines: string[] = [];
  for (const server of servers.filter((s) => s.scenario.orderflow?.callTelemetry === true && s.adminUrl !== undefined)) {
    let calls = 0;
    for (const method of server.scenario.methods) {
      const sent = measurements.filter((m) => m.scenario === server.scenario.key && m.method === method).reduce((sum, m) => sum + m.totalOk, 0);
      calls += sent;
      const counted = await handledOk(server.adminUrl!, method);
      lines.push(`${server.scenario.label}: grpc_server_handled_total{grpc_method="${method}",grpc_code="OK"} = ${counted}; the load generator saw ${sent} successful calls${counted === sent ? ' (equal)' : ' (MISMATCH)'}`);
    }
    lines.push(`${server.scenario.label}: ${server.child.stdoutLines} log lines (${(server.child.stdoutBytes / 2 ** 20).toFixed(1)} MiB) for ${calls} calls`);
  }
  lines.push(`OTLP sink: ${sink.requests()} export requests, ${(sink.bytes() / 2 ** 20).toFixed(1)} MiB of spans received`);
  const harness = measurements.filter((m) => m.scenario === 'on').map((m) => m.harnessCpuPct);
  const others = spread(measurements.map((m) => m.otherCpuPct));
  lines.push(`other processes on the machine used a median ${others.median.toFixed(0)}% of a core per measured window (range ${others.min.toFixed(0)}–${others.max.toFixed(0)}%; the machine has ${availableParallelism()} cores = ${availableParallelism() * 100}%)`);
  if (harness.length > 0) lines.push(`harness CPU (log drain + OTLP sink) during telemetry-on runs: ${Math.min(...harness).toFixed(0)}–${Math.max(...harness).toFixed(0)}% of a core`);
  return lines;
}

async function startAll(scenarios: readonly Scenario[], dir: string, sink: Sink): Promise<RunningServer[]> {
  const servers: RunningServer[] = [];
  // One at a time: starting several at once on 2 cores only makes each start slower.
  for (const scenario of scenarios) {
    const started = performance.now();
    const server = await startServer(scenario, ROOT, dir, sink);
    servers.push(server);
    console.log(`started ${scenario.label}: pid ${server.child.pid}, gRPC ${server.address} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  return servers;
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  if (options === 'help') return console.log(USAGE);
  killChildrenOnExit();
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  const scenarios = SCENARIOS.filter((s) => options.embedded || s.key !== 'embedded');
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-bench-'));
  const sink = await startSink();
  const servers: RunningServer[] = [];
  try {
    servers.push(...(await startAll(scenarios, dir, sink)));
    const measurements = await measureAll(servers, options);
    const sanity = await sanityChecks(servers, measurements, sink);
    const run: BenchRun = { startedAt, finishedAt: new Date(), options, scenarios, measurements, sanity, loadAverageAtStart };
    console.log(`\n${textTable(run)}\n\n${ratioLines(run).join('\n')}\n\n${sanity.join('\n')}`);
    writeFileSync(REPORT_PATH, markdownReport(run));
    console.log(`\nwrote ${REPORT_PATH}`);
  } finally {
    await Promise.all(servers.map((s) => s.child.stop()));
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
