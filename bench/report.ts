// Rendering: the results table (padded for the terminal, Markdown for REPORT.md), the ratios,
// and REPORT.md with the machine and settings the numbers came from.
import { cpus, loadavg, release, totalmem } from 'node:os';
import { METHOD_NAMES } from './contract.js';
import type { BenchOptions } from './options.js';
import type { Scenario } from './scenarios.js';
import { type Measurement, pairedRatio, type Spread, summarise } from './stats.js';

export type BenchRun = Readonly<{
  startedAt: Date;
  finishedAt: Date;
  options: BenchOptions;
  scenarios: readonly Scenario[];
  measurements: readonly Measurement[];
  /** Lines from the end-of-run checks (metrics counted the calls, logs and exports happened). */
  sanity: readonly string[];
  loadAverageAtStart: readonly number[];
}>;

const HEADER = ['method', 'scenario', 'req/s median (min–max)', '× baseline', 'server CPU µs/call', '× baseline', 'p50 ms', 'p99 ms', 'server CPU %', 'client CPU %', 'RSS MiB', 'errors'];
const cpuPerCall = (m: Measurement) => m.serverCpuUsPerCall;

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const range = (s: Spread, digits = 0) => `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
const times = (s: Spread) => (Number.isFinite(s.median) ? `${s.median.toFixed(2)}×` : '–');

function rows(run: BenchRun): string[][] {
  const out: string[][] = [];
  for (const method of METHOD_NAMES) {
    for (const scenario of run.scenarios) {
      const s = summarise(run.measurements, method, scenario.key);
      if (s === undefined) continue;
      const ratio = (pick?: (m: Measurement) => number) => (scenario.key === 'baseline' ? '1.00×' : times(pairedRatio(run.measurements, method, scenario.key, 'baseline', pick)));
      out.push([method, scenario.label, range(s.rps), ratio(), range(s.serverCpuUsPerCall), ratio(cpuPerCall), range(s.p50Ms, 1), range(s.p99Ms, 1), fixed(s.serverCpuPct.median, 0), fixed(s.clientCpuPct.median, 0), fixed(s.rssMiB.median, 0), String(s.errors)]);
    }
  }
  return out;
}

export function textTable(run: BenchRun): string {
  const all = [HEADER, ...rows(run)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

function markdownTable(run: BenchRun): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows(run).map(line)].join('\n');
}

/** The comparisons the benchmark exists for, one sentence each. */
export function ratioLines(run: BenchRun): string[] {
  const lines: string[] = [];
  const pct = (ratio: number) => fixed((ratio - 1) * 100, 0);
  for (const method of METHOD_NAMES) {
    const rps = (a: string, b: string) => pairedRatio(run.measurements, method, a, b);
    const cpu = (a: string, b: string) => pairedRatio(run.measurements, method, a, b, cpuPerCall);
    const [off, on, cost, cpuOff, cpuOn, cpuCost] = [rps('off', 'baseline'), rps('on', 'baseline'), rps('on', 'off'), cpu('off', 'baseline'), cpu('on', 'baseline'), cpu('on', 'off')];
    lines.push(`${method}: orderflow serves ${times(off)} the baseline's req/s with telemetry off (rounds ${fixed(off.min, 2)}–${fixed(off.max, 2)}), ${times(on)} with it on (${fixed(on.min, 2)}–${fixed(on.max, 2)}).`);
    lines.push(`${method}: per call, orderflow's server spends ${times(cpuOff)} the baseline's CPU with telemetry off (rounds ${fixed(cpuOff.min, 2)}–${fixed(cpuOff.max, 2)}), ${times(cpuOn)} with it on.`);
    lines.push(
      `${method}: telemetry on vs off: ${times(cost)} req/s (${pct(cost.median)}%, rounds ${pct(cost.min)}…${pct(cost.max)}%) and ${times(cpuCost)} server CPU per call (+${pct(cpuCost.median)}%, rounds ${pct(cpuCost.min)}…${pct(cpuCost.max)}%).`,
    );
    if (run.scenarios.some((s) => s.key === 'embedded') && method === 'CreateOrder') {
      lines.push(`${method}: the PGlite store serves ${times(rps('embedded', 'off'))} the req/s of the in-memory store at ${times(cpu('embedded', 'off'))} its CPU per call (both telemetry off).`);
    }
  }
  return lines;
}

function settingsLines(run: BenchRun): string[] {
  const o = run.options;
  const orderOf = (method: string) => run.scenarios.filter((s) => s.methods.some((m) => m === method)).map((s) => s.key).join(' → ');
  return [
    `- rounds: ${o.rounds}; per run: ${o.warmupS} s warm-up (not measured), then ${o.durationS} s measured`,
    `- load: ${o.concurrency} unary calls in flight over ${o.channels} grpc-js channels (one HTTP/2 connection each), ${o.deadlineMs} ms deadline per call, from a separate process`,
    `- order within each round (interleaved): GetProduct ${orderOf('GetProduct')}; CreateOrder ${orderOf('CreateOrder')}; all GetProduct rounds run before the CreateOrder rounds`,
    '- servers: one process per scenario, started once and reused by every round and both methods (see "how to read this")',
    '- orderflow: `node --import tsx src/cmd/server.ts`, CONF_PATH = a YAML written by bench/scenarios.ts; memory store unless labelled; baseline: `node --import tsx bench/baseline-server.ts`',
    '- orderflow security settings: grpc.tls and auth off (the baseline has neither, and the test config runs the same way), limits.ratePerSecond raised so that the limiter runs but never refuses',
    '- telemetry on: grpc.callTelemetry true, tracing sampleRatio 1 with an OTLP/HTTP exporter to a sink in the benchmark process (bodies read and discarded), log.level info (one access-log line per call on stdout, drained and discarded); telemetry off: callTelemetry false, no exporters, log.level warn. Metrics (/metrics) exist in both.',
  ];
}

function machineLines(run: BenchRun): string[] {
  const cpu = cpus();
  return [
    `- date: ${run.startedAt.toISOString()} (took ${Math.round((run.finishedAt.getTime() - run.startedAt.getTime()) / 1000)} s)`,
    `- machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Linux ${release()}`,
    `- load average before the run: ${run.loadAverageAtStart.map((n) => n.toFixed(2)).join(', ')} (now ${loadavg().map((n) => n.toFixed(2)).join(', ')})`,
    `- node ${process.version}`,
  ];
}

const HOW_TO_READ = `- **req/s** counts calls completed inside the measured window; the median of the rounds is shown with the slowest and fastest round. Absolute numbers belong to this machine and this load generator; compare rows, not machines.
- **× baseline** is the median over rounds of (scenario req/s ÷ baseline req/s in the same round). Pairing by round means drift of a noisy machine hits both sides of each ratio alike. The same holds for "telemetry on vs off".
- **server CPU µs/call** is the server process's CPU time (user + system, from /proc) during the window divided by the calls it completed. It does not depend on which process was the bottleneck, so its ratio is the steadier measure of how much work each stack does per call; req/s is what a client sees.
- **server CPU %** is the server process's user+system time over the window (100 = one core; above 100 means GC and libuv threads helped). **client CPU %** is the load generator's. With 2 cores, server + client + harness compete: if the client sits near 100 % while the server has headroom, that row is limited by the load generator, and its ratio to the baseline understates orderflow's gap (the baseline is the row most likely to be client-bound). If server + client add up to well under the machine's cores, other processes took the rest (the "other processes" line under Checks): req/s then tells more about the neighbours than about the stack, and CPU µs/call is the number to trust.
- **p50/p99** are per-call latencies measured by the client with ${'`'}concurrency${'`'} calls in flight: at saturation they mostly reflect queueing (latency ≈ concurrency ÷ throughput), so they move with req/s rather than adding information about a single call.
- **RSS** is read from /proc after each run. Servers are reused across rounds (starting 30+ processes would cost more wall time than the measurements), so RSS also shows what earlier runs left behind: stored orders for CreateOrder (orderflow's memory store and the baseline's Map both keep every order), and any per-call state a server keeps after the call has ended.
- Telemetry on also costs the benchmark process some CPU (draining the access log, receiving OTLP exports; "harness CPU" under Checks). On a 2-core machine that CPU is taken from the server or client, as a log shipper or collector sidecar would take it on a real node.`;

export function markdownReport(run: BenchRun): string {
  return [
    '# orderflow load benchmark',
    '',
    'Generated by `npm run bench` (bench/run.ts). Every number below comes from one run in which all scenarios were measured side by side, interleaved round by round.',
    '',
    '## Machine',
    ...machineLines(run),
    '',
    '## Settings',
    ...settingsLines(run),
    '',
    '## Results (medians over rounds, min–max in parentheses)',
    '',
    markdownTable(run),
    '',
    '## Ratios',
    ...ratioLines(run).map((l) => `- ${l}`),
    '',
    '## Checks',
    ...run.sanity.map((l) => `- ${l}`),
    '',
    '## How to read this',
    HOW_TO_READ,
    '',
  ].join('\n');
}
