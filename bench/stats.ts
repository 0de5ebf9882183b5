// From per-round measurements to medians and paired ratios. Ratios are taken round by round
// (each scenario against the baseline measured minutes apart at most) and then their median, so
// drift of the machine between rounds cancels instead of leaking into the comparison.
import type { MethodName } from './contract.js';

export type Measurement = Readonly<{
  method: MethodName;
  scenario: string;
  round: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuPct: number;
  /** Server CPU time per successful call: unlike req/s, it does not depend on who was the bottleneck. */
  serverCpuUsPerCall: number;
  clientCpuPct: number;
  /** This orchestrating process during the window: log drain and OTLP sink (telemetry on). */
  harnessCpuPct: number;
  /** Every other process on the machine during the window (100 = one core). */
  otherCpuPct: number;
  rssMiB: number;
  ok: number;
  errors: number;
  totalOk: number;
}>;

export type Spread = Readonly<{ median: number; min: number; max: number }>;

export function spread(values: readonly number[]): Spread {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export type Summary = Readonly<{
  method: MethodName;
  scenario: string;
  rounds: number;
  rps: Spread;
  p50Ms: Spread;
  p99Ms: Spread;
  serverCpuPct: Spread;
  serverCpuUsPerCall: Spread;
  clientCpuPct: Spread;
  harnessCpuPct: Spread;
  rssMiB: Spread;
  errors: number;
}>;

export function summarise(all: readonly Measurement[], method: MethodName, scenario: string): Summary | undefined {
  const runs = all.filter((m) => m.method === method && m.scenario === scenario);
  if (runs.length === 0) return undefined;
  const of = (pick: (m: Measurement) => number) => spread(runs.map(pick));
  return {
    method,
    scenario,
    rounds: runs.length,
    rps: of((m) => m.rps),
    p50Ms: of((m) => m.p50Ms),
    p99Ms: of((m) => m.p99Ms),
    serverCpuPct: of((m) => m.serverCpuPct),
    serverCpuUsPerCall: of((m) => m.serverCpuUsPerCall),
    clientCpuPct: of((m) => m.clientCpuPct),
    harnessCpuPct: of((m) => m.harnessCpuPct),
    rssMiB: of((m) => m.rssMiB),
    errors: runs.reduce((sum, m) => sum + m.errors, 0),
  };
}

/** Median over rounds of pick(a)/pick(b), pairing the two scenarios' runs of the same round. */
export function pairedRatio(all: readonly Measurement[], method: MethodName, a: string, b: string, pick: (m: Measurement) => number = (m) => m.rps): Spread {
  const ratios: number[] = [];
  for (const run of all.filter((m) => m.method === method && m.scenario === a)) {
    const other = all.find((m) => m.method === method && m.scenario === b && m.round === run.round);
    if (other !== undefined && pick(other) > 0) ratios.push(pick(run) / pick(other));
  }
  return spread(ratios);
}
