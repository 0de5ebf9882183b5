// Events across processes and one tail per process, on PostgreSQL (a database of this run's own),
// with orderflow servers as real processes (bench/event-servers.ts):
//   cross-replica  2 replicas; orders created on A at --rate/s; a watcher on B (and, for
//                  comparison, one on A): creation → delivery p50/p99, timed from the moment
//                  the CreateOrder request left (so it includes the create itself)
//   fanout         1 server; --streams WatchOrders streams (one per customer, over 20
//                  connections) with 200 orders/s created for those customers: server RSS,
//                  creation → delivery p99, and GetOrder req/s (from a child process:
//                  bench/get-order-child.ts) with the streams open against none, in
//                  interleaved rounds (200 orders/s are created in both phases)
//   create-ratio   CreateOrder req/s with 32 callers on 1 replica against 16 + 16 on 2, in
//                  interleaved rounds, and how often backends wait on a lock meanwhile (every
//                  write takes the event_sequence row lock until it commits)
//   npx tsx bench/events.ts [--only cross-replica|fanout|create-ratio] [--rounds 3] [--seconds 5]
//     [--rate 100] [--streams 10000]
import { randomBytes } from 'node:crypto';
import events from 'node:events';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { POSTGRES, postgresAdmin } from '../test/support/required-services.js';
import { createRatio } from './events-create-ratio.js';
import {
  createAtRate,
  createOne,
  fmt,
  getOrderLoad,
  gcSeconds,
  getOrderLoadInChild,
  machine,
  type Orders,
  ordersClient,
  quantile,
  rssMiB,
  sleep,
  startServer,
  waitFor,
  watchStreamsOpen,
} from './event-servers.js';
import { cpuSeconds, killChildrenOnExit } from './processes.js';
import { spread } from './stats.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '100' },
    streams: { type: 'string', default: '10000' },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);

/** Follows a watch stream, calling `onEvent(orderId, at)` for each event until `stop` aborts. */
function follow(
  orders: Orders,
  customerId: string,
  stop: AbortSignal,
  onEvent: (id: string, at: number) => void,
  afterSequence = 0n,
): Promise<void> {
  return (async () => {
    for await (const { event } of orders.watchOrders({ customerId, afterSequence }, { signal: stop }))
      onEvent(event?.order?.id ?? '', performance.now());
  })().catch(() => undefined);
}

async function crossReplica(database: string): Promise<string[]> {
  const rate = Number(values.rate);
  const count = rate * SECONDS * ROUNDS;
  const a = await startServer('replica-a', database);
  const b = await startServer('replica-b', database);
  const [onA, onB] = [ordersClient(a.grpcAddress), ordersClient(b.grpcAddress)];
  const stop = new AbortController();
  const arrived = { a: new Map<string, number>(), b: new Map<string, number>() };
  const sent = new Map<string, number>();
  const answered = new Map<string, number>();
  try {
    const watching = [
      follow(onA.orders, 'cross', stop.signal, (id, at) => arrived.a.set(id, at)),
      follow(onB.orders, 'cross', stop.signal, (id, at) => arrived.b.set(id, at)),
    ];
    await createOne(onA.orders, 'cross'); // both watchers live and warm
    while (arrived.a.size + arrived.b.size < 2) await sleep(20);
    const done = new AbortController();
    const creating = createAtRate(
      onA.orders,
      rate,
      () => 'cross',
      (id, at) => {
        sent.set(id, at);
        answered.set(id, performance.now());
        if (sent.size >= count) done.abort();
      },
      done.signal,
    );
    await creating;
    while ([...sent.keys()].some((id) => !arrived.b.has(id) || !arrived.a.has(id))) await sleep(50);
    stop.abort();
    await Promise.all(watching);
    const latency = (seen: Map<string, number>) => [...sent].map(([id, at]) => (seen.get(id) ?? NaN) - at);
    const [local, cross] = [latency(arrived.a), latency(arrived.b)];
    const create = [...sent].map(([id, at]) => (answered.get(id) ?? NaN) - at);
    const afterAnswer = [...answered].map(([id, at]) => (arrived.b.get(id) ?? NaN) - at);
    return [
      `${sent.size} orders created on replica A at ${rate}/s; ${machine()}`,
      '',
      '| watcher | creation → delivery p50 ms | p99 ms | max ms |',
      '|---|---|---|---|',
      `| on B (the other replica: LISTEN/NOTIFY) | ${quantile(cross, 0.5).toFixed(1)} | ${quantile(cross, 0.99).toFixed(1)} | ${quantile(cross, 1).toFixed(1)} |`,
      `| on A (the same replica: local wake) | ${quantile(local, 0.5).toFixed(1)} | ${quantile(local, 0.99).toFixed(1)} | ${quantile(local, 1).toFixed(1)} |`,
      `| (the CreateOrder call itself, request → response) | ${quantile(create, 0.5).toFixed(1)} | ${quantile(create, 0.99).toFixed(1)} | ${quantile(create, 1).toFixed(1)} |`,
      `| on B, from the CreateOrder response (negative: the event came first) | ${quantile(afterAnswer, 0.5).toFixed(1)} | ${quantile(afterAnswer, 0.99).toFixed(1)} | ${quantile(afterAnswer, 1).toFixed(1)} |`,
    ];
  } finally {
    stop.abort();
    onA.channel.close();
    onB.channel.close();
    await Promise.allSettled([a.child.stop(), b.child.stop()]);
  }
}

async function fanout(database: string): Promise<string[]> {
  const streams = Number(values.streams);
  const server = await startServer('fanout', database);
  const probe = ordersClient(server.grpcAddress);
  const connections = Array.from({ length: 20 }, () => ordersClient(server.grpcAddress));
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) ids.push(await createOne(probe.orders, `seed-${i % 20}`));
  const rounds: {
    none: number;
    with: number;
    idleNone: number;
    idleWith: number;
    cpuNone: number;
    cpuWith: number;
    gcNone: number;
    holderNone: number;
    holderWith: number;
    gcWith: number;
    clientNone: number;
    clientWith: number;
    p50: number;
    p99: number;
    answerP99: number;
    createP99: number;
    rss: number;
    delivered: number;
    created: number;
  }[] = [];
  let peak = 0;
  const openSeconds: number[] = [];
  try {
    await getOrderLoad(probe.orders, ids, 2, 32); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const phase = async (open: boolean) => {
        const stop = new AbortController();
        const sentAt = new Map<string, number>();
        const latencies: number[] = [];
        const early = new Map<string, number>();
        const arrivedAt = new Map<string, number>();
        if (open) {
          // Live streams, as clients that are up to date open them: from the log's current head
          // (a stream from 0 with a customer filter would first replay on a query of its own).
          const head = await logHead(database);
          for (let i = 0; i < streams; i++) {
            void follow(
              connections[i % connections.length]!.orders,
              `w-${i}`,
              stop.signal,
              (id, at) => {
                arrivedAt.set(id, at);
                const sent = sentAt.get(id);
                if (sent === undefined) early.set(id, at);
                else latencies.push(at - sent);
              },
              head,
            );
          }
          // Opening 10,000 streams at once is a burst of work of its own (seconds of server CPU): measure after it.
          const opening = performance.now();
          await waitFor(async () => (await watchStreamsOpen(server)) >= streams);
          openSeconds.push((performance.now() - opening) / 1000);
          await sleep(1000);
        }
        // First a window of creations alone (delivery latency), then GetOrder load on top (req/s).
        const creating = new AbortController();
        const answeredAt = new Map<string, number>();
        let recording = true;
        let created = 0;
        const creator = createAtRate(
          probe.orders,
          200,
          () => `w-${Math.floor(Math.random() * streams)}`,
          (id, at) => {
            if (!recording) return;
            created++;
            sentAt.set(id, at);
            answeredAt.set(id, performance.now());
            const seen = early.get(id);
            if (seen !== undefined) latencies.push(seen - at);
          },
          creating.signal,
        );
        await sleep(SECONDS * 1000);
        recording = false;
        await sleep(500); // the last recorded events arrive
        const fromAnswer = [...answeredAt].map(([id, at]) => (arrivedAt.get(id) ?? NaN) - at).filter(Number.isFinite);
        const creates = [...answeredAt].map(([id, at]) => at - (sentAt.get(id) ?? NaN));
        creating.abort();
        await creator;
        // Idle: the streams open, nothing created, nothing called: what they cost by themselves.
        const idleBefore = cpuSeconds(server.child.pid);
        await sleep(2000);
        const idleCpu = (cpuSeconds(server.child.pid) - idleBefore) / 2;
        const loading = new AbortController();
        const creator2 = createAtRate(
          probe.orders,
          200,
          () => `w-${Math.floor(Math.random() * streams)}`,
          () => undefined,
          loading.signal,
        );
        // From a process of its own: the 10,000 streams this process holds must not slow the load generator.
        let serverBefore = 0;
        let holderBefore = process.cpuUsage();
        const gcBefore = await gcSeconds(server);
        const load = await getOrderLoadInChild(server.grpcAddress, ids, SECONDS, 32, () => {
          serverBefore = cpuSeconds(server.child.pid);
          holderBefore = process.cpuUsage();
        });
        const holderUsage = process.cpuUsage(holderBefore);
        const holderCpu = (holderUsage.user + holderUsage.system) / 1e6 / SECONDS;
        const serverCpu = (cpuSeconds(server.child.pid) - serverBefore) / SECONDS;
        // Includes the child's 0.5 s warm-up: GC time per GetOrder window, as a share of the CPU used.
        const gcShare = (await gcSeconds(server)) - gcBefore;
        const clientCpu = load.cpuSeconds / SECONDS;
        loading.abort();
        await creator2;
        const rss = rssMiB(server.child.pid);
        peak = Math.max(peak, rss.peak);
        stop.abort();
        await waitFor(async () => (await watchStreamsOpen(server)) === 0);
        return {
          rps: load.rps,
          latencies,
          rss: rss.rss,
          created,
          fromAnswer,
          creates,
          idleCpu,
          serverCpu,
          clientCpu,
          holderCpu,
          gc: gcShare / (serverCpu * SECONDS),
        };
      };
      const first = round % 2 === 0;
      const a = await phase(!first);
      const b = await phase(first);
      const [none, open] = first ? [a, b] : [b, a];
      rounds.push({
        none: none.rps,
        with: open.rps,
        idleNone: none.idleCpu,
        idleWith: open.idleCpu,
        cpuNone: none.serverCpu,
        cpuWith: open.serverCpu,
        gcNone: none.gc,
        holderNone: none.holderCpu,
        holderWith: open.holderCpu,
        gcWith: open.gc,
        clientNone: none.clientCpu,
        clientWith: open.clientCpu,
        p50: quantile(open.latencies, 0.5),
        p99: quantile(open.latencies, 0.99),
        answerP99: quantile(open.fromAnswer, 0.99),
        createP99: quantile(open.creates, 0.99),
        rss: open.rss,
        delivered: open.latencies.length,
        created: open.created,
      });
      console.error(
        `round ${round + 1}/${ROUNDS}: GetOrder ${none.rps.toFixed(0)}/s without streams, ${open.rps.toFixed(0)}/s with; delivery p99 ${rounds.at(-1)?.p99.toFixed(1)} ms; RSS ${open.rss.toFixed(0)} MiB`,
      );
    }
  } finally {
    probe.channel.close();
    for (const c of connections) c.channel.close();
    await server.child.stop();
  }
  const pick = (f: (r: (typeof rounds)[number]) => number) => spread(rounds.map(f));
  return [
    `${streams} WatchOrders streams (one customer each, 20 connections), 200 orders/s created for those customers in both phases: ${SECONDS} s of creation alone (delivery latency), then ${SECONDS} s with GetOrder from 32 callers on top (req/s); ${ROUNDS} interleaved rounds; ${machine()}`,
    '',
    '| figure | median (min–max) |',
    '|---|---|',
    `| GetOrder req/s, no streams | ${fmt(pick((r) => r.none))} |`,
    `| GetOrder req/s, streams open | ${fmt(pick((r) => r.with))} |`,
    `| ratio with / without (per round) | ${fmt(
      pick((r) => r.with / r.none),
      2,
    )} (target ≥ 0.8) |`,
    `| server CPU (cores) idle, no streams / streams open | ${fmt(
      pick((r) => r.idleNone),
      2,
    )} / ${fmt(
      pick((r) => r.idleWith),
      2,
    )} |`,
    `| server CPU (cores) during GetOrder, no streams / streams open | ${fmt(
      pick((r) => r.cpuNone),
      2,
    )} / ${fmt(
      pick((r) => r.cpuWith),
      2,
    )} |`,
    `| server GC time as a share of its CPU during GetOrder (nodejs_gc_duration_seconds), no streams / streams open | ${fmt(
      pick((r) => r.gcNone * 100),
      1,
    )} % / ${fmt(
      pick((r) => r.gcWith * 100),
      1,
    )} % |`,
    `| this process (it holds the streams and creates the orders) CPU (cores) during GetOrder, no streams / streams open | ${fmt(
      pick((r) => r.holderNone),
      2,
    )} / ${fmt(
      pick((r) => r.holderWith),
      2,
    )} |`,
    `| GetOrder load generator (a process of its own) CPU (cores) during GetOrder, no streams / streams open | ${fmt(
      pick((r) => r.clientNone),
      2,
    )} / ${fmt(
      pick((r) => r.clientWith),
      2,
    )} |`,
    `| creation → delivery p50 ms | ${fmt(
      pick((r) => r.p50),
      1,
    )} |`,
    `| creation → delivery p99 ms | ${fmt(
      pick((r) => r.p99),
      1,
    )} (target < 100) |`,
    `| CreateOrder request → response p99 ms (included above) | ${fmt(
      pick((r) => r.createP99),
      1,
    )} |`,
    `| CreateOrder response → delivery p99 ms | ${fmt(
      pick((r) => r.answerP99),
      1,
    )} |`,
    `| events delivered / orders created per round | ${fmt(pick((r) => r.delivered))} / ${fmt(pick((r) => r.created))} |`,
    `| time for the ${streams} streams to open, s | ${fmt(spread(openSeconds), 1)} |`,
    `| server RSS with the streams open, MiB | ${fmt(pick((r) => r.rss))}; peak (VmHWM) ${peak.toFixed(0)} (target < 1024) |`,
  ];
}

async function logHead(database: string): Promise<bigint> {
  const client = new pg.Client({ host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database });
  await client.connect();
  try {
    return BigInt((await client.query<{ last_value: string }>('SELECT last_value FROM event_sequence')).rows[0]?.last_value ?? 0);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  killChildrenOnExit();
  events.setMaxListeners(0); // one abort signal per phase is shared by thousands of streams
  const scenarios: Record<string, (database: string) => Promise<string[]>> = {
    'cross-replica': crossReplica,
    fanout,
    'create-ratio': (database) => createRatio(database, ROUNDS, SECONDS),
  };
  const chosen = values.only === undefined ? Object.keys(scenarios) : [values.only];
  for (const name of chosen) {
    const run = scenarios[name];
    if (run === undefined) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
    const database = `orderflow_bench_${randomBytes(4).toString('hex')}`;
    await postgresAdmin(`CREATE DATABASE ${database}`);
    try {
      console.log(`\n### ${name}\n\n${(await run(database)).join('\n')}`);
    } finally {
      await postgresAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  }
}

await main();
