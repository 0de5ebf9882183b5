// From per-round measurements to medians and paired ratios. Ratios are taken round by round
// (each scenario against its group's bare reference measured in the same round, a minute apart
// at most) and then their median, so drift of a shared machine between rounds cancels instead
// of leaking into the comparison.

export type Measurement = Readonly<{
  scenario: string;
  round: number;
  /** Calls per second (unary) or stream messages per second (watch). */
  rate: number;
  /** Server CPU time per call or per message: unlike the rate, it does not depend on who was the bottleneck. */
  cpuUsPerOp: number;
  p50Ms: number;
  p99Ms: number;
  /** Server process CPU over the window (100 = one core). */
  serverCpuPct: number;
  generatorCpuPct: number;
  /** The load generator's CPU per call or message: below the server's, the server saturates first on equal cores. */
  generatorCpuUsPerOp: number;
  /** This orchestrating process (the OTLP sink and JWKS among it). */
  harnessCpuPct: number;
  /** Every other process on the machine during the window (100 = one core). */
  otherCpuPct: number;
  /** Other processes on the server's core (its busy time minus the server's). */
  otherOnServerCorePct: number;
  /** Other processes on the load generator's core (its busy time minus generator and harness). */
  otherOnLoadCorePct: number;
  rssMiB: number;
  /** Calls or messages in the window. */
  ops: number;
  /** What was verified about this run, one short line each. */
  checks: readonly string[];
}>;

export type Spread = Readonly<{ median: number; min: number; max: number }>;

export function spread(values: readonly number[]): Spread {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export const of = (runs: readonly Measurement[], pick: (m: Measurement) => number): Spread => spread(runs.map(pick));

/** Median over rounds of pick(a)/pick(b), pairing the two scenarios' runs of the same round. */
export function pairedRatio(all: readonly Measurement[], a: string, b: string, pick: (m: Measurement) => number): Spread {
  const ratios: number[] = [];
  for (const run of all.filter((m) => m.scenario === a)) {
    const other = all.find((m) => m.scenario === b && m.round === run.round);
    if (other !== undefined && pick(other) > 0) ratios.push(pick(run) / pick(other));
  }
  return spread(ratios);
}

/** Round `round`'s order: the list rotated by one place per round, so no scenario always runs first or last. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
