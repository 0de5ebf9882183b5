// Command-line flags of `npm run bench`.
import { parseArgs } from 'node:util';

export type BenchOptions = Readonly<{
  rounds: number;
  durationS: number;
  warmupS: number;
  concurrency: number;
  channels: number;
  /** Deadline the load generator sets on every call (it also bounds how long the server keeps per-call state). */
  deadlineMs: number;
  /** Include the PGlite-store CreateOrder scenario. */
  embedded: boolean;
}>;

export const USAGE = `usage: npm run bench -- [--rounds N] [--duration S] [--warmup S] [--concurrency N] [--channels N] [--deadline-ms N] [--quick] [--no-embedded]
  --rounds       rounds; each runs every scenario once, interleaved (default 5)
  --duration     measured seconds per run (default 5)
  --warmup       unmeasured seconds before each run (default 1)
  --concurrency  unary calls kept in flight (default 64)
  --channels     grpc-js channels (HTTP/2 connections) they are spread over (default 4)
  --deadline-ms  deadline of every call (default 10000)
  --quick        rounds 2, duration 2 (a smoke test of the benchmark itself)
  --no-embedded  skip the PGlite-store CreateOrder scenario`;

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(text)}\n${USAGE}`);
  return value;
}

export function readOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '64' },
      channels: { type: 'string', default: '4' },
      'deadline-ms': { type: 'string', default: '10000' },
      quick: { type: 'boolean', default: false },
      'no-embedded': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  // Explicit --rounds/--duration win over --quick.
  return {
    rounds: Math.round(positive('rounds', values.rounds ?? (values.quick ? '2' : '5'))),
    durationS: positive('duration', values.duration ?? (values.quick ? '2' : '5')),
    warmupS: positive('warmup', values.warmup),
    concurrency: Math.round(positive('concurrency', values.concurrency)),
    channels: Math.round(positive('channels', values.channels)),
    deadlineMs: Math.round(positive('deadline-ms', values['deadline-ms'])),
    embedded: !values['no-embedded'],
  };
}
