// `npm run bench`: starts the servers (orderflow from dist/, the bare grpc-js baseline) pinned to
// one core, prepares what each scenario reads, then runs rounds in which every chosen scenario is
// measured once, in an order rotated per round, with the load generator on the other core. Prints
// the table and writes the Markdown results (bench/REPORT.md explains how they are read).
// `--profile NAME` instead profiles one scenario's server (bench/profile.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarnessHttp } from './harness-http.js';
import { type MeasureContext, measureUnary, measureWatch } from './measure.js';
import { type BenchOptions, readOptions, USAGE } from './options.js';
import { runProfile } from './profile.js';
import { killChildrenOnExit } from './processes.js';
import { type BenchRun, markdownReport, noiseLines, targetLines, textTable } from './report.js';
import { endOfRunChecks } from './run-checks.js';
import { type Scenario, SERVERS, type ServerKey, selectScenarios } from './scenarios.js';
import { type RunningServer, type StartContext, startServer } from './servers.js';
import { type Measurement, rotate } from './stats.js';
import { prepareTarget, type Target } from './targets.js';
import { mintCredentials } from './tokens.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function preflight(): void {
  if (!existsSync(join(ROOT, 'dist/cmd/server.js')))
    throw new Error('dist/cmd/server.js is missing: run `npm run build` first (npm run bench does)');
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('h2load is not installed: run scripts/install-h2load.sh (as root; it installs Debian nghttp2-client)');
  }
}

/** The server on the last core, the load generator and this process on the first, when there are two. */
function chooseCores() {
  // Read before pinning: availableParallelism() follows this process's own affinity.
  const cores = availableParallelism();
  if (cores < 2) return { server: undefined, load: undefined };
  execFileSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' });
  return { server: cores - 1, load: 0 };
}

async function startServers(keys: readonly ServerKey[], ctx: StartContext): Promise<Map<ServerKey, RunningServer>> {
  const servers = new Map<ServerKey, RunningServer>();
  // One at a time: starting several at once on 2 cores only makes each start slower.
  for (const key of keys) {
    const server = await startServer(key, SERVERS[key], ctx);
    servers.set(key, server);
    console.log(`started ${key}: pid ${server.child.pid}, gRPC ${server.address}, metrics ${server.adminUrl}`);
  }
  return servers;
}

function progress(m: Measurement, rounds: number): void {
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  console.log(
    `[round ${m.round}/${rounds}] ${m.scenario.padEnd(24)} ${f(m.rate).padStart(6)}/s  ${f(m.cpuUsPerOp).padStart(4)} µs CPU/op  p50 ${f(m.p50Ms, 2)} p99 ${f(m.p99Ms, 2)} ms  server ${f(m.serverCpuPct)}% (others on its core ${f(m.otherOnServerCorePct)}%)  generator ${f(m.generatorCpuPct)}% (${f(m.generatorCpuUsPerOp, 1)} µs/op)  others ${f(m.otherCpuPct)}%  RSS ${f(m.rssMiB)} MiB`,
  );
}

async function measureRounds(
  scenarios: readonly Scenario[],
  servers: Map<ServerKey, RunningServer>,
  targets: Map<string, Target>,
  ctx: MeasureContext,
): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  for (let round = 1; round <= ctx.options.rounds; round++) {
    for (const scenario of rotate(scenarios, round - 1)) {
      const server = servers.get(scenario.server)!;
      const target = targets.get(scenario.name)!;
      const m =
        target.kind === 'unary'
          ? await measureUnary(scenario, server, target, round, ctx)
          : await measureWatch(scenario, server, target, round, ctx);
      if (!server.child.running) throw new Error(`${server.key} exited during ${scenario.name}:\n${server.child.stderr()}`);
      measurements.push(m);
      progress(m, ctx.options.rounds);
    }
  }
  return measurements;
}

async function benchmark(
  options: BenchOptions,
  startCtx: StartContext,
  ctx: MeasureContext,
  harness: Awaited<ReturnType<typeof startHarnessHttp>>,
): Promise<void> {
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  const scenarios = selectScenarios(options.scenarios);
  const keys = [...new Set(scenarios.map((s) => s.server))];
  const servers = await startServers(keys, startCtx);
  try {
    const targets = new Map<string, Target>();
    for (const scenario of scenarios) targets.set(scenario.name, await prepareTarget(scenario, servers.get(scenario.server)!, ctx.dir));
    const measurements = await measureRounds(scenarios, servers, targets, ctx);
    const checks = await endOfRunChecks([...servers.values()], harness);
    const run: BenchRun = {
      startedAt,
      finishedAt: new Date(),
      options,
      scenarios,
      measurements,
      checks,
      loadAverageAtStart,
      cores: ctx.cores,
      serverNodeVersion: execFileSync(options.node, ['--version'], { encoding: 'utf8' }).trim(),
    };
    console.log(`\n${textTable(run)}\n\n${[...targetLines(run), '', ...checks, '', ...noiseLines(run)].join('\n')}`);
    writeFileSync(options.out, markdownReport(run));
    console.log(`\nwrote ${options.out}`);
  } finally {
    await Promise.all([...servers.values()].map((s) => s.child.stop()));
  }
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2), join(ROOT, 'bench/last-run.md'));
  if (options === 'help') return console.log(USAGE);
  preflight();
  killChildrenOnExit();
  const cores = chooseCores();
  const credentials = await mintCredentials();
  const harness = await startHarnessHttp(credentials.jwks);
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-bench-'));
  const startCtx: StartContext = {
    root: ROOT,
    dir,
    harnessUrl: harness.url,
    credentials,
    core: cores.server,
    serverNice: options.serverNice,
    node: options.node,
  };
  const ctx: MeasureContext = { options, cores, root: ROOT, dir };
  try {
    if (options.profile !== undefined) await runProfile(options.profile, startCtx, ctx);
    else await benchmark(options, startCtx, ctx, harness);
  } finally {
    await harness.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
