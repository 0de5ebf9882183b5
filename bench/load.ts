// The load generator, a process of its own so that the server under test keeps its event loop
// (and, on a small machine, a core) to itself. It keeps `concurrency` unary calls in flight over
// `channels` separate grpc-js channels for `warmup` + `duration` seconds, with the raw
// Client.makeUnaryRequest and the ts-proto codecs, and prints JSON lines on stdout:
//   {"event":"measuring"}  when the measured window opens (after the warm-up),
//   {"event":"measured"}   when it closes (the orchestrator samples server CPU at both),
//   {"event":"result",...} once the calls still in flight have finished.
import { parseArgs } from 'node:util';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { methodByName, type UnaryMethod } from './contract.js';

type Options = { address: string; method: string; concurrency: number; channels: number; durationS: number; warmupS: number; deadlineMs: number };

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      address: { type: 'string' },
      method: { type: 'string', default: 'GetProduct' },
      concurrency: { type: 'string', default: '64' },
      channels: { type: 'string', default: '4' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      'deadline-ms': { type: 'string', default: '10000' },
    },
  });
  if (values.address === undefined) throw new Error('--address host:port is required');
  const options = { address: values.address, method: values.method, concurrency: Number(values.concurrency), channels: Number(values.channels), durationS: Number(values.duration), warmupS: Number(values.warmup), deadlineMs: Number(values['deadline-ms']) };
  if (![options.concurrency, options.channels, options.durationS, options.deadlineMs].every((n) => Number.isFinite(n) && n > 0)) throw new Error('concurrency, channels, duration and deadline-ms must be positive numbers');
  return options;
}

/**
 * grpc-js shares one subchannel (one HTTP/2 connection) between channels with equal options; a
 * local subchannel pool plus a distinct option per client gives each client its own connection.
 */
function openClients(address: string, count: number): Client[] {
  return Array.from({ length: count }, (_, i) => new Client(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'bench.channel_id': i }));
}

function waitForReady(client: Client): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + 10_000, (error) => (error === undefined || error === null ? resolve() : reject(error))));
}

function call(client: Client, method: UnaryMethod<unknown, unknown>, n: number, deadlineMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const serialize = (message: unknown) => Buffer.from(method.request.encode(message).finish());
    const deserialize = (bytes: Buffer) => method.response.decode(bytes);
    // A deadline, as every real client sets one (it also travels as grpc-timeout to the server).
    client.makeUnaryRequest(method.path, serialize, deserialize, method.makeRequest(n), new Metadata(), { deadline: Date.now() + deadlineMs }, (error: ServiceError | null) =>
      error === null ? resolve() : reject(error),
    );
  });
}

/** What the calls did; only completions inside the measured window count towards rate and latency. */
class Tally {
  measuring = false;
  ok = 0;
  errors = 0;
  /** Every successful call, warm-up and drain included: compared with the server's own counter. */
  totalOk = 0;
  readonly latenciesMs: number[] = [];
  readonly errorSamples = new Map<string, number>();

  record(startedAt: number, error: unknown): void {
    if (error === undefined) this.totalOk += 1;
    if (!this.measuring) return;
    if (error === undefined) {
      this.ok += 1;
      this.latenciesMs.push(performance.now() - startedAt);
    } else {
      this.errors += 1;
      const key = error instanceof Error ? error.message : typeof error === 'string' ? error : 'a non-Error failure';
      this.errorSamples.set(key, (this.errorSamples.get(key) ?? 0) + 1);
    }
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}

async function worker(client: Client, method: UnaryMethod<unknown, unknown>, deadlineMs: number, tally: Tally, isRunning: () => boolean, next: () => number): Promise<void> {
  while (isRunning()) {
    const startedAt = performance.now();
    try {
      await call(client, method, next(), deadlineMs);
      tally.record(startedAt, undefined);
    } catch (error) {
      tally.record(startedAt, error);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const options = readOptions();
  const method = methodByName(options.method);
  const clients = openClients(options.address, options.channels);
  await Promise.all(clients.map(waitForReady));
  const tally = new Tally();
  let running = true;
  let n = 0;
  const workers = Array.from({ length: options.concurrency }, (_, i) =>
    worker(clients[i % clients.length]!, method, options.deadlineMs, tally, () => running, () => n++),
  );
  await sleep(options.warmupS * 1000);
  const cpuBefore = process.cpuUsage();
  const openedAt = performance.now();
  tally.measuring = true;
  emit({ event: 'measuring' });
  await sleep(options.durationS * 1000);
  tally.measuring = false;
  const windowS = (performance.now() - openedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  emit({ event: 'measured' });
  running = false;
  await Promise.all(workers);
  for (const client of clients) client.close();
  const sorted = Float64Array.from(tally.latenciesMs).sort();
  emit({
    event: 'result',
    ok: tally.ok,
    errors: tally.errors,
    totalOk: tally.totalOk,
    windowS,
    rps: tally.ok / windowS,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / (windowS * 1000)) * 100,
    errorSamples: Object.fromEntries([...tally.errorSamples].slice(0, 5)),
  });
}

main().catch((error: unknown) => {
  console.error(`load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
