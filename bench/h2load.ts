// Unary load from h2load (Debian's nghttp2-client, C): far cheaper per call than any Node.js
// client, so the server under test, not the generator, is what saturates. The request body is
// one gRPC frame; h2load counts any HTTP 200 as a success, so what it reports is only one of
// the checks (see verify.ts): grpc-status itself travels in trailers h2load does not read.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { generator } from './processes.js';

export type H2loadRun = Readonly<{
  url: string;
  bodyFile: string;
  headers: Readonly<Record<string, string>>;
  connections: number;
  streams: number;
  /** Exactly this many calls (every one is awaited, so the server's counters can be compared exactly)… */
  requests?: number;
  /** …or as many as fit in this many seconds (the warm-up: calls still open at the end are cut). */
  durationS?: number;
  logFile?: string;
  core?: number | undefined;
}>;

export type H2loadResult = Readonly<{
  seconds: number;
  total: number;
  succeeded: number;
  failed: number;
  errored: number;
  timedOut: number;
  status2xx: number;
  dataBytes: number;
  /** CPU seconds h2load used (user + system), from the shell's `times`. */
  cpuSeconds: number;
}>;

export function h2loadArgs(run: H2loadRun): string[] {
  const args = ['-c', String(run.connections), '-m', String(run.streams), '-t', '1', '-d', run.bodyFile];
  if (run.requests !== undefined) args.push('-n', String(run.requests));
  else if (run.durationS !== undefined) args.push('-D', String(run.durationS));
  if (run.logFile !== undefined) args.push(`--log-file=${run.logFile}`);
  for (const [name, value] of Object.entries(run.headers)) args.push('-H', `${name}: ${value}`);
  return [...args, run.url];
}

/**
 * Runs h2load through bash so that `times` can report the CPU h2load used (the children's line):
 * what shows that the generator had headroom.
 */
export function runH2load(run: H2loadRun): Promise<H2loadResult> {
  const script = 'h2load "$@"; status=$?; times; exit $status';
  const [file, args] = generator('bash', ['-c', script, 'h2load', ...h2loadArgs(run)], run.core);
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error !== null) return reject(new Error(`h2load failed: ${error.message}\n${stderr}${stdout}`));
      try {
        resolve({ ...parseH2loadOutput(stdout), cpuSeconds: parseChildTimes(stdout) });
      } catch (parseError) {
        reject(
          new Error(`${parseError instanceof Error ? parseError.message : String(parseError)}\n--- h2load said ---\n${stdout}${stderr}`),
        );
      }
    });
  });
}

/** The children's user and system time from bash's `times` (its last line, e.g. "0m1.230s 0m0.400s"). */
export function parseChildTimes(text: string): number {
  const last = text.trimEnd().split('\n').at(-1) ?? '';
  const times = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (times.length !== 2) throw new Error(`no children's times line at the end of: ${last}`);
  return times[0]! + times[1]!;
}

function match(text: string, pattern: RegExp, what: string): RegExpExecArray {
  const found = pattern.exec(text);
  if (found === null) throw new Error(`h2load output has no ${what} line`);
  return found;
}

const UNITS: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1 };

/** The figures of h2load's summary (nghttp2 1.52 layout). */
export function parseH2loadOutput(text: string): Omit<H2loadResult, 'cpuSeconds'> {
  const finished = match(text, /^finished in ([\d.]+)(us|ms|s),/m, '"finished in"');
  const requests = match(
    text,
    /^requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m,
    '"requests:"',
  );
  const codes = match(text, /^status codes: (\d+) 2xx/m, '"status codes:"');
  const traffic = match(text, /^traffic: .*?, [^,]*? \((\d+)\) data$/m, '"traffic:"');
  const n = (s: string | undefined) => Number(s);
  return {
    seconds: n(finished[1]) * (UNITS[finished[2] ?? 's'] ?? 1),
    total: n(requests[1]),
    succeeded: n(requests[2]),
    failed: n(requests[3]),
    errored: n(requests[4]),
    timedOut: n(requests[5]),
    status2xx: n(codes[1]),
    dataBytes: n(traffic[1]),
  };
}

export type Latency = Readonly<{ count: number; non200: number; p50Ms: number; p99Ms: number }>;

/** Per-call latency from h2load's --log-file (start µs, HTTP status, µs to the end of the response). */
export function parseH2loadLog(text: string): Latency {
  const micros: number[] = [];
  let non200 = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [, status, duration] = line.split('\t');
    if (status !== '200') non200 += 1;
    micros.push(Number(duration));
  }
  const sorted = Float64Array.from(micros).sort();
  return { count: sorted.length, non200, p50Ms: percentile(sorted, 0.5) / 1000, p99Ms: percentile(sorted, 0.99) / 1000 };
}

export const readH2loadLog = (path: string): Latency => parseH2loadLog(readFileSync(path, 'utf8'));

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}
