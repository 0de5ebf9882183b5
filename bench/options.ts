// Command-line flags of `npm run bench`.
import { parseArgs } from 'node:util';

export type BenchOptions = Readonly<{
  rounds: number;
  durationS: number;
  warmupS: number;
  /** h2load -c: HTTP/2 connections. */
  connections: number;
  /** h2load -m: streams in flight per connection. */
  streams: number;
  /** Names, groups or server keys (see bench/scenarios.ts); empty: all. */
  scenarios: readonly string[];
  /** Instead of the rounds: profile this one scenario's server under node --cpu-prof. */
  profile: string | undefined;
  /** Entries of the profile to print. */
  top: number;
  /** nice -n for the servers (negative needs root); 0: the default priority. */
  serverNice: number;
  /** Where the Markdown results go. */
  out: string;
  /** The node executable the servers run on (default: the one running the benchmark). */
  node: string;
}>;

export const USAGE = `usage: npm run bench -- [--quick] [--scenario NAME]... [--rounds N] [--duration S] [--warmup S]
                       [--connections N] [--streams N] [--out FILE] [--profile NAME [--top N]]
  --scenario     a scenario (get-product:prod-rs256), a group (get-order) or a server (lean);
                 repeatable; the group's bare reference is always added (default: all)
  --rounds       rounds; each runs every chosen scenario once, in an order rotated per round (default 4)
  --duration     measured seconds per run (default 6)
  --warmup       unmeasured seconds before each run (default 2)
  --connections  h2load connections (default 8)
  --streams      h2load streams in flight per connection (default 16)
  --quick        rounds 2, duration 2, warmup 1: a smoke check of the harness, not a measurement
  --out          Markdown results file (default bench/last-run.md; bench/last-profile.md with --profile)
  --profile      run one scenario with its server under node --cpu-prof for --duration seconds
                 (default 20) and print the top entries by self time
  --top          profile entries to print (default 25)
  --node         the node executable the servers run on, e.g. the release the image ships
                 (scripts/fetch-node.sh 24 prints its path; default: this node)
  --server-nice  run the servers at this niceness (e.g. --server-nice=-10, as root) when other work keeps the
                 machine busy: the servers then take their core from it (default 0)`;

function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < -20 || value > 19)
    throw new Error(`--${name} must be an integer from -20 to 19, got ${JSON.stringify(text)}\n${USAGE}`);
  return value;
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(text)}\n${USAGE}`);
  return value;
}

export function readOptions(argv: readonly string[], defaultOut: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '8' },
      streams: { type: 'string', default: '16' },
      scenario: { type: 'string', multiple: true, default: [] },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      profile: { type: 'string' },
      'server-nice': { type: 'string', default: '0' },
      node: { type: 'string' },
      top: { type: 'string', default: '25' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick;
  const profiling = values.profile !== undefined;
  // Explicit --rounds/--duration/--warmup win over --quick.
  return {
    rounds: Math.round(positive('rounds', values.rounds ?? (quick ? '2' : '4'))),
    durationS: positive('duration', values.duration ?? (quick ? '2' : profiling ? '20' : '6')),
    warmupS: positive('warmup', values.warmup ?? (quick ? '1' : '2')),
    connections: Math.round(positive('connections', values.connections)),
    streams: Math.round(positive('streams', values.streams)),
    scenarios: values.scenario.flatMap((s) => s.split(',')).filter((s) => s !== ''),
    profile: values.profile,
    serverNice: integer('server-nice', values['server-nice']),
    node: values.node ?? process.execPath,
    top: Math.round(positive('top', values.top)),
    out: values.out ?? (profiling ? defaultOut.replace(/last-run\.md$/, 'last-profile.md') : defaultOut),
  };
}
