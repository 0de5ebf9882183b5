// The servers' own account of the calls they ended, scraped from GET /metrics before and after a
// measured run: grpc_server_handled_total by code (orderflow with callTelemetry on, and the
// baseline, which counts in-process), and the cache and stream-message counters that show the
// scenario did what it claims (cache hits; messages sent).

/** Sample value by metric name and its labels, as written: `name{a="1",b="2"}` → value. */
export type Scrape = ReadonlyMap<string, number>;

export function parsePrometheusText(text: string): Scrape {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const split = line.lastIndexOf('}') + 1 || line.indexOf(' ');
    const value = Number(line.slice(split).trim().split(' ')[0]);
    samples.set(line.slice(0, split).trim(), value);
  }
  return samples;
}

export async function scrape(adminUrl: string): Promise<Scrape> {
  const response = await fetch(`${adminUrl}/metrics`);
  if (!response.ok) throw new Error(`GET ${adminUrl}/metrics: HTTP ${response.status}`);
  return parsePrometheusText(await response.text());
}

function labelsOf(key: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of key.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
  return labels;
}

/** Sum of `name` over the samples whose labels include `where`, grouped by the label `by` (if given). */
export function sum(scrape: Scrape, name: string, where: Readonly<Record<string, string>>, by?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of scrape) {
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    const labels = labelsOf(key);
    if (!Object.entries(where).every(([k, v]) => labels[k] === v)) continue;
    const group = by === undefined ? '' : (labels[by] ?? '');
    out.set(group, (out.get(group) ?? 0) + value);
  }
  return out;
}

/** after − before, per group; groups absent before count from 0. */
export function delta(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) !== 0) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

/** grpc_server_handled_total of one method by grpc_code. */
export const handledByCode = (s: Scrape, method: string) => sum(s, 'grpc_server_handled_total', { grpc_method: method }, 'grpc_code');
