// What bench/events.ts needs around orderflow servers on PostgreSQL: start one as a real process
// (src/cmd/server.ts through tsx, config written to a temp file, ready once /health/ready says
// so), nice-grpc clients on channels of their own (each its own HTTP/2 connection), paced order
// creation, GetOrder load, and /proc readings (RSS, CPU).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelCredentials } from '@grpc/grpc-js';
import { type Channel, createChannel, createClient } from 'nice-grpc';
import { stringify } from 'yaml';
import { OrderServiceDefinition } from '../src/gen/orderflow/orders/v1/order_service.js';
import { freePort } from '../test/support/redis.js';
import { POSTGRES } from '../test/support/required-services.js';
import { Child } from './processes.js';

const ROOT = join(import.meta.dirname, '..');

export type Server = { name: string; child: Child; grpcAddress: string; adminUrl: string };

function yaml(grpc: number, admin: number, database: string, extra: Record<string, unknown>): string {
  return stringify({
    env: 'dev',
    grpc: { host: '127.0.0.1', port: grpc, reflection: false, tls: { enabled: false }, callTelemetry: true },
    admin: { host: '127.0.0.1', port: admin },
    log: { level: 'warn', format: 'json' },
    store: { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database, migrate: true, poolMax: 10 },
    catalog: { seed: [{ id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400 } }] },
    auth: { enabled: false },
    limits: { ratePerSecond: 1e9, rateBurst: 1e9 },
    shutdown: { timeoutMs: 2000, drainDelayMs: 0, closeTimeoutMs: 2000 },
    ...extra,
  });
}

export async function startServer(name: string, database: string, extra: Record<string, unknown> = {}): Promise<Server> {
  const [grpc, admin] = [await freePort(), await freePort()];
  const confPath = join(tmpdir(), `orderflow-bench-${name}-${randomBytes(3).toString('hex')}.yaml`);
  writeFileSync(confPath, yaml(grpc, admin, database, extra));
  const child = new Child({
    name,
    nodeArgs: ['--import', 'tsx', join(ROOT, 'src/cmd/server.ts')],
    cwd: ROOT,
    env: { CONF_PATH: confPath },
    core: undefined,
  });
  for (let ready = false; !ready; await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (child.process.exitCode !== null) throw new Error(`${name} exited: ${child.stderr()}`);
    ready = await fetch(`http://127.0.0.1:${admin}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
  }
  return { name, child, grpcAddress: `127.0.0.1:${grpc}`, adminUrl: `http://127.0.0.1:${admin}` };
}

export type Orders = ReturnType<typeof createClient<typeof OrderServiceDefinition>>;

/** A client on a channel (an HTTP/2 connection) of its own: grpc-js would otherwise share one. */
export function ordersClient(address: string): { orders: Orders; channel: Channel } {
  const channel = createChannel(address, ChannelCredentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  return { orders: createClient(OrderServiceDefinition, channel), channel };
}

export async function createOne(orders: Orders, customerId: string): Promise<string> {
  const { order } = await orders.createOrder({ customerId, items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: '' });
  return order?.id ?? '';
}

/**
 * Creates orders at `perSecond` (paced against the clock, never bursting to catch up by more than
 * a few) until `stop` aborts; `onSent(id-to-be, at)` cannot know the id before the reply, so
 * `onCreated(id, sentAt)` reports each with the time its request left.
 */
export async function createAtRate(
  orders: Orders,
  perSecond: number,
  customer: (i: number) => string,
  onCreated: (id: string, sentAt: number) => void,
  stop: AbortSignal,
): Promise<number> {
  const interval = 1000 / perSecond;
  let next = performance.now();
  let i = 0;
  const inFlight = new Set<Promise<void>>();
  while (!stop.aborted) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    next = Math.max(next + interval, performance.now() - 5 * interval);
    const sentAt = performance.now();
    const call = createOne(orders, customer(i++)).then(
      (id) => onCreated(id, sentAt),
      () => undefined,
    );
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  }
  await Promise.all(inFlight);
  return i;
}

/** `concurrency` callers of GetOrder over `ids` for `seconds`: calls per second and errors. */
export async function getOrderLoad(
  orders: Orders,
  ids: readonly string[],
  seconds: number,
  concurrency: number,
): Promise<{ rps: number; errors: number }> {
  let calls = 0;
  let errors = 0;
  let n = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        try {
          await orders.getOrder({ id: ids[n++ % ids.length] ?? '' });
          calls++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return { rps: calls / ((performance.now() - started) / 1000), errors };
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
export function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** The p-th quantile (0..1) of `values` (sorted in place). */
export function quantile(values: number[], p: number): number {
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor(p * values.length))] ?? NaN;
}

/** WatchOrders streams the server has open now (grpc_server_streams_open on /metrics). */
/**
 * GetOrder load from a child process (bench/get-order-child.ts), so that whatever else this
 * process holds (thousands of watch streams) does not slow the load generator. `onStart` runs
 * when its measured window begins (to read the server's CPU); resolves with its req/s, errors
 * and its own CPU seconds.
 */
export async function getOrderLoadInChild(
  address: string,
  ids: readonly string[],
  seconds: number,
  concurrency: number,
  onStart: () => void,
): Promise<{ rps: number; errors: number; cpuSeconds: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/get-order-child.ts', address, String(seconds), String(concurrency)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.stdin.end(JSON.stringify(ids));
  let result: { rps: number; errors: number; cpuSeconds: number } | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const message = JSON.parse(line) as { started?: boolean; rps?: number; errors?: number; cpuSeconds?: number };
    if (message.started === true) onStart();
    else if (message.rps !== undefined) result = message as typeof result;
  }
  const code = await exited;
  if (result === undefined || code !== 0) throw new Error(`bench/get-order-child.ts exited with ${code} before reporting`);
  return result;
}

export async function watchStreamsOpen(server: Server): Promise<number> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('grpc_server_streams_open{') && line.includes('WatchOrders'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Seconds the server has spent in garbage collection (prom-client's nodejs_gc_duration_seconds, every kind). */
export async function gcSeconds(server: Server): Promise<number> {
  const text = await (await fetch(`${server.adminUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('nodejs_gc_duration_seconds_sum{'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Resolves once `condition` holds, checking every 200 ms. */
export async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition().catch(() => false))) await new Promise((resolve) => setTimeout(resolve, 200));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** "median (min–max)" with `d` decimals. */
export const fmt = (s: { median: number; min: number; max: number }, d = 0) =>
  `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
export const machine = () => `${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)} (shared machine)`;
