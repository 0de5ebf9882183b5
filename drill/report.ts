// What a drill reports and how its verdict is reached: the counts (calls, acknowledged orders,
// what the database holds afterwards), the timings, and the promises the drill checked. Pure
// functions, so the table and the verdict logic have tests of their own (report.test.ts).

/** The outcome of one promise the issue makes (e.g. "readiness NOT_SERVING within 1 s"). */
export type PromiseCheck = Readonly<{
  what: string;
  /** kept, broken, or skipped (with the reason in `detail`); `reported` is measured, never failed on. */
  outcome: 'kept' | 'broken' | 'skipped' | 'reported';
  detail: string;
}>;

export type Counts = {
  attempted: number;
  succeeded: number;
  /** Failed calls by gRPC status name (UNAVAILABLE, DEADLINE_EXCEEDED, ...). */
  failedByCode: Record<string, number>;
  /** Orders (or import items) the server acknowledged to its caller. */
  acknowledged: number;
  /** Of those, how many the database holds afterwards (counted with SQL). */
  found: number;
  /** Acknowledged but not in the database. */
  lost: number;
  /** Rows beyond the first for one idempotency key. */
  duplicated: number;
};

export type DrillResult = Readonly<{
  name: string;
  form: 'short' | 'full';
  counts: Counts;
  /** Label and value, in the order they are printed (e.g. ["time to exit", "412 ms"]). */
  timings: ReadonlyArray<readonly [string, string]>;
  promises: readonly PromiseCheck[];
  notes: readonly string[];
}>;

export const emptyCounts = (): Counts => ({
  attempted: 0,
  succeeded: 0,
  failedByCode: {},
  acknowledged: 0,
  found: 0,
  lost: 0,
  duplicated: 0,
});

/** A promise that holds when `ok`; `detail` says what was measured either way. */
export const check = (what: string, ok: boolean, detail: string): PromiseCheck => ({ what, outcome: ok ? 'kept' : 'broken', detail });

/**
 * A promise about timing under load: strict in the full form; in the short form (CI on a busy
 * machine) it fails only beyond `shortBound`, and is otherwise reported.
 */
export function timingCheck(
  what: string,
  measuredMs: number | undefined,
  bound: number,
  form: 'short' | 'full',
  shortBound: number,
): PromiseCheck {
  if (measuredMs === undefined) return { what, outcome: 'broken', detail: 'never observed' };
  const detail = `${Math.round(measuredMs)} ms (promise ${bound} ms${form === 'short' ? `, short form fails beyond ${shortBound} ms` : ''})`;
  if (measuredMs <= bound) return { what, outcome: 'kept', detail };
  if (form === 'short' && measuredMs <= shortBound)
    return { what, outcome: 'reported', detail: `${detail}: over the promise, reported only` };
  return { what, outcome: 'broken', detail };
}

/** Why the drill failed; empty when it passed. */
export function failures(result: DrillResult): string[] {
  const reasons: string[] = [];
  if (result.counts.lost > 0) reasons.push(`${result.counts.lost} acknowledged lost`);
  if (result.counts.duplicated > 0) reasons.push(`${result.counts.duplicated} duplicated`);
  if (result.counts.found < result.counts.acknowledged - result.counts.lost) reasons.push('found + lost does not add up to acknowledged');
  for (const p of result.promises) if (p.outcome === 'broken') reasons.push(`broken: ${p.what} (${p.detail})`);
  return reasons;
}

export const passed = (result: DrillResult) => failures(result).length === 0;

function formatFailed(byCode: Record<string, number>): string {
  const entries = Object.entries(byCode).filter(([, n]) => n > 0);
  if (entries.length === 0) return '0';
  return entries
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
}

/** The drill's table: counts, timings, promises, verdict; one string ready to print. */
export function renderTable(result: DrillResult): string {
  const c = result.counts;
  const rows: [string, string][] = [
    ['calls attempted', String(c.attempted)],
    ['calls succeeded', String(c.succeeded)],
    ['calls failed, by status', formatFailed(c.failedByCode)],
    ['orders acknowledged', String(c.acknowledged)],
    ['found afterwards (SQL)', String(c.found)],
    ['lost', String(c.lost)],
    ['duplicated', String(c.duplicated)],
    ...result.timings.map(([k, v]): [string, string] => [k, v]),
  ];
  const mark = { kept: 'ok  ', broken: 'FAIL', skipped: 'skip', reported: 'info' } as const;
  for (const p of result.promises) rows.push([`[${mark[p.outcome]}] ${p.what}`, p.detail]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const title = `drill ${result.name} (${result.form})`;
  const reasons = failures(result);
  const lines = [title, '-'.repeat(title.length), ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`)];
  for (const note of result.notes) lines.push(`note: ${note}`);
  lines.push(reasons.length === 0 ? 'verdict: PASS' : `verdict: FAIL (${reasons.join('; ')})`);
  return lines.join('\n');
}

/** Nearest-rank percentile of `values` (ms); undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const ms = (value: number | undefined, digits = 0) => (value === undefined ? '–' : `${value.toFixed(digits)} ms`);

/** "p50 3 ms, p99 12 ms, max 40 ms (n 812)" for a set of latencies. */
export function latencySummary(values: readonly number[]): string {
  if (values.length === 0) return 'no calls';
  // Not Math.max(...values): a soak's 130,000 latencies overflow the call stack as arguments.
  const max = values.reduce((a, b) => Math.max(a, b), -Infinity);
  return `p50 ${ms(percentile(values, 50), 1)}, p99 ${ms(percentile(values, 99), 1)}, max ${ms(max, 1)} (n ${values.length})`;
}

/** Compares acknowledged orders (key → id) with rows (key, id) read from the database. */
export function reconcile(
  acknowledged: ReadonlyMap<string, string>,
  rows: ReadonlyArray<{ key: string; id: string }>,
): { found: number; lost: number; duplicated: number; lostKeys: string[] } {
  const byKey = new Map<string, string[]>();
  for (const row of rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), row.id]);
  let found = 0;
  const lostKeys: string[] = [];
  for (const [key, id] of acknowledged) {
    if (byKey.get(key)?.includes(id) === true) found++;
    else lostKeys.push(key);
  }
  let duplicated = 0;
  for (const ids of byKey.values()) duplicated += ids.length - 1;
  return { found, lost: lostKeys.length, duplicated, lostKeys };
}
