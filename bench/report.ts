// Rendering: the results table (padded for the terminal, Markdown for the results file), the
// targets of issue 8 compared with what was measured, and the noise the run competed with.
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { Cores } from './measure.js';
import { GENERATOR_NICE } from './processes.js';
import type { BenchOptions } from './options.js';
import { referenceOf, type Scenario, SERVERS } from './scenarios.js';
import { type Measurement, of, pairedRatio, type Spread } from './stats.js';

export type BenchRun = Readonly<{
  startedAt: Date;
  finishedAt: Date;
  options: BenchOptions;
  scenarios: readonly Scenario[];
  measurements: readonly Measurement[];
  checks: readonly string[];
  loadAverageAtStart: readonly number[];
  cores: Cores;
  /** `node --version` of the servers' executable (--node). */
  serverNodeVersion: string;
}>;

const HEADER = [
  'scenario',
  'server',
  'rate /s',
  '× bare',
  'server CPU µs/op',
  '× bare',
  'p50 ms',
  'p99 ms',
  'server CPU %',
  'generator CPU %',
  'generator CPU µs/op',
  'RSS MiB',
];

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const range = (s: Spread, digits = 0) => `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
const times = (s: Spread) => (Number.isFinite(s.median) ? `${s.median.toFixed(2)}×` : '–');
const rate = (m: Measurement) => m.rate;
const cpu = (m: Measurement) => m.cpuUsPerOp;

function ratio(run: BenchRun, scenario: Scenario, pick: (m: Measurement) => number): Spread {
  return pairedRatio(run.measurements, scenario.name, referenceOf(scenario), pick);
}

function rows(run: BenchRun): string[][] {
  return run.scenarios.map((scenario) => {
    const runs = run.measurements.filter((m) => m.scenario === scenario.name);
    const bare = scenario.server === 'bare';
    const x = (pick: (m: Measurement) => number) => (bare ? '1.00×' : times(ratio(run, scenario, pick)));
    const unit = scenario.load.kind === 'watch' ? 'msg' : 'call';
    return [
      scenario.name,
      SERVERS[scenario.server].label,
      `${range(of(runs, rate))} ${unit}s`,
      x(rate),
      range(of(runs, cpu)),
      x(cpu),
      fixed(of(runs, (m) => m.p50Ms).median, 2),
      fixed(of(runs, (m) => m.p99Ms).median, 2),
      fixed(of(runs, (m) => m.serverCpuPct).median),
      fixed(of(runs, (m) => m.generatorCpuPct).median),
      fixed(of(runs, (m) => m.generatorCpuUsPerOp).median, 1),
      fixed(of(runs, (m) => m.rssMiB).max),
    ];
  });
}

export function textTable(run: BenchRun): string {
  const all = [HEADER, ...rows(run)].map((r) => r.filter((_, i) => i !== 1));
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

/** Issue 8's targets (stated, not asserted): what each comparison came to in this run. */
export function targetLines(run: BenchRun): string[] {
  const out: string[] = [];
  for (const scenario of run.scenarios) {
    if (scenario.server === 'bare') continue;
    const r = ratio(run, scenario, rate);
    const c = ratio(run, scenario, cpu);
    const production = scenario.server.startsWith('prod-') && scenario.load.kind === 'unary';
    const minRate = scenario.load.kind === 'watch' ? 0.8 : production ? 0.6 : 0.85;
    const rateMet = r.median >= minRate;
    const parts = [
      `${scenario.name}: ${times(r)} bare ${scenario.load.kind === 'watch' ? 'messages/s' : 'req/s'} (rounds ${fixed(r.min, 2)}–${fixed(r.max, 2)}; target ≥ ${minRate}×: ${rateMet ? 'met' : 'not met'})`,
    ];
    const cpuPart = `${times(c)} its CPU per ${scenario.load.kind === 'watch' ? 'message' : 'call'} (rounds ${fixed(c.min, 2)}–${fixed(c.max, 2)}`;
    parts.push(production ? `${cpuPart}; target ≤ 1.8×: ${c.median <= 1.8 ? 'met' : 'not met'})` : `${cpuPart})`);
    out.push(parts.join(', '));
  }
  return out;
}

export function noiseLines(run: BenchRun): string[] {
  const others = of(run.measurements, (m) => m.otherCpuPct);
  const onServerCore = of(run.measurements, (m) => m.otherOnServerCorePct);
  const onLoadCore = of(run.measurements, (m) => m.otherOnLoadCorePct);
  const harness = of(run.measurements, (m) => m.harnessCpuPct);
  return [
    `other processes on the machine (busy time in /proc/stat minus server, generator and harness) used a median ${fixed(others.median)}% of a core per measured window (range ${fixed(others.min)}–${fixed(others.max)}%; ${cpus().length} cores = ${cpus().length * 100}%)`,
    `on the server's core: a median ${fixed(onServerCore.median)}% of it went to other processes (range ${fixed(onServerCore.min)}–${fixed(onServerCore.max)}%)`,
    `on the load generator's core: a median ${fixed(onLoadCore.median)}% went to other processes (range ${fixed(onLoadCore.min)}–${fixed(onLoadCore.max)}%); a generator that waits for its core answers late, which can leave a fast server idle`,
    `the harness itself (OTLP sink, JWKS, orchestration) used ${fixed(harness.median)}% (up to ${fixed(harness.max)}%) of the load core`,
    `load average before the run ${run.loadAverageAtStart.map((n) => n.toFixed(2)).join(', ')}; after ${loadavg()
      .map((n) => n.toFixed(2))
      .join(', ')}`,
  ];
}

function settingsLines(run: BenchRun): string[] {
  const o = run.options;
  const pinning =
    run.cores.server === undefined
      ? 'not pinned (one core)'
      : `server on core ${run.cores.server}, load generator and harness on core ${run.cores.load} (taskset)`;
  const generators = GENERATOR_NICE === 0 ? 'load generators at the default priority' : `load generators at nice ${GENERATOR_NICE}`;
  const nice = `${generators}, servers at ${o.serverNice === 0 ? 'the default priority' : `nice ${o.serverNice}`}, harness at the default`;
  return [
    `- ${run.startedAt.toISOString()}, took ${Math.round((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000)} s; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, servers on node ${run.serverNodeVersion}`,
    `- ${o.rounds} rounds, each scenario once per round in an order rotated by one per round; per run ${o.warmupS} s warm-up, then about ${o.durationS} s measured; ${pinning}; ${nice}`,
    `- unary: h2load -c ${o.connections} -m ${o.streams} -t 1, a fixed number of calls per run (sized from the warm-up's rate), headers content-type, te: trailers, grpc-timeout: 10S, authorization where auth is on`,
    `- watch: bench/watch-load.ts (raw node:http2, counts gRPC frames), streams replaying the pre-filled log, each cancelled and reopened once it has every event`,
  ];
}

export function markdownReport(run: BenchRun): string {
  // Every run passed its checks (a failure stops the benchmark); the last round's are shown.
  const checks = run.scenarios.map(
    (s) => `- ${s.name}: ${run.measurements.findLast((m) => m.scenario === s.name)?.checks.join('; ') ?? 'not run'}`,
  );
  return [
    '## Settings',
    ...settingsLines(run),
    '',
    '## Results (medians over rounds, min–max in parentheses; × bare is the median of per-round ratios)',
    '',
    line(HEADER),
    line(HEADER.map(() => '---')),
    ...rows(run).map(line),
    '',
    '## Against the targets of issue 8 (stated, not asserted)',
    ...targetLines(run).map((l) => `- ${l}`),
    '',
    '## Checks (every run passed its checks, or the benchmark would have stopped; shown: the last round)',
    ...checks,
    ...run.checks.map((l) => `- ${l}`),
    '',
    '## Noise',
    ...noiseLines(run).map((l) => `- ${l}`),
    '',
  ].join('\n');
}
