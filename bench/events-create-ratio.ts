// The create-ratio scenario of bench/events.ts: CreateOrder req/s with 32 callers on 1 replica
// against 16 + 16 on 2 (interleaved rounds), and how often the database's active backends wait on
// a lock meanwhile (every write holds the event_sequence row lock until it commits).
import pg from 'pg';
import { POSTGRES } from '../test/support/required-services.js';
import { createOne, fmt, machine, type Orders, ordersClient, sleep, startServer } from './event-servers.js';
import { spread } from './stats.js';

async function createLoad(targets: Orders[], seconds: number, callers: number): Promise<number> {
  let calls = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      while (performance.now() < end)
        await createOne(targets[i % targets.length]!, `ratio-${i}`).then(
          () => calls++,
          () => undefined,
        );
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

/** Share of samples (every 20 ms) in which an active backend of `database` waited on a lock. */
async function lockWaits(database: string, stop: AbortSignal): Promise<{ active: number; waiting: number }> {
  const client = new pg.Client({ host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database: 'postgres' });
  await client.connect();
  let active = 0;
  let waiting = 0;
  while (!stop.aborted) {
    const { rows } = await client.query<{ active: string; waiting: string }>(
      "SELECT count(*) FILTER (WHERE state = 'active') AS active, count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting FROM pg_stat_activity WHERE datname = $1",
      [database],
    );
    active += Number(rows[0]?.active ?? 0);
    waiting += Number(rows[0]?.waiting ?? 0);
    await sleep(20);
  }
  await client.end();
  return { active, waiting };
}

/** CreateOrder req/s with 32 callers on one replica against 16 + 16 on two, interleaved, and lock waits meanwhile. */
export async function createRatio(database: string, ROUNDS: number, SECONDS: number): Promise<string[]> {
  const a = await startServer('ratio-a', database);
  const b = await startServer('ratio-b', database);
  const [onA, onB] = [ordersClient(a.grpcAddress), ordersClient(b.grpcAddress)];
  const rounds: { one: number; two: number; waitShare: number }[] = [];
  try {
    await createLoad([onA.orders, onB.orders], 2, 32); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const one = () => createLoad([onA.orders], SECONDS, 32);
      const two = async () => {
        const stop = new AbortController();
        const sampling = lockWaits(database, stop.signal);
        const rps = await createLoad([onA.orders, onB.orders], SECONDS, 32);
        stop.abort();
        const { active, waiting } = await sampling;
        return { rps, waitShare: waiting / Math.max(1, active) };
      };
      const [x, y] = round % 2 === 0 ? [await one(), await two()] : await two().then(async (t) => [await one(), t] as const);
      rounds.push({ one: x, two: y.rps, waitShare: y.waitShare });
      console.error(`round ${round + 1}/${ROUNDS}: CreateOrder ${x.toFixed(0)}/s on 1 replica, ${y.rps.toFixed(0)}/s on 2`);
    }
  } finally {
    onA.channel.close();
    onB.channel.close();
    await Promise.allSettled([a.child.stop(), b.child.stop()]);
  }
  const pick = (f: (r: (typeof rounds)[number]) => number) => spread(rounds.map(f));
  return [
    `CreateOrder, 32 callers, ${SECONDS} s, ${ROUNDS} interleaved rounds; both replicas and PostgreSQL on the same ${machine()}`,
    '',
    '| figure | median (min–max) |',
    '|---|---|',
    `| req/s on 1 replica | ${fmt(pick((r) => r.one))} |`,
    `| req/s on 2 replicas (16 callers each) | ${fmt(pick((r) => r.two))} |`,
    `| ratio 2 / 1 (per round) | ${fmt(
      pick((r) => r.two / r.one),
      2,
    )} |`,
    `| active backends waiting on a lock, 2 replicas | ${fmt(pick((r) => r.waitShare * 100))} % |`,
  ];
}
