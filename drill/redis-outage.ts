// Drill "redis-outage": the server caches orders in a redis-server of the drill's own
// (cache.kind: redis). Under GetOrder (cache hits) and CreateOrder load, that Redis is killed,
// restarted, then frozen (SIGSTOP: it accepts nothing and answers nothing) and thawed. Promises:
// 0 client errors throughout (a cache outage only makes calls slower), the cache is used again
// after each recovery (orderflow_cache_up back to 1), nothing acknowledged lost. The BullMQ half
// (redis-outage-bullmq.ts: export jobs queued before the outage complete after it, none twice)
// runs on a redis-server of its own once the cache part is over; it needs dist/cmd/worker.js.
import { OwnRedisServer } from '../test/support/redis.js';
import { sample, scrape } from '../test/support/scrape.js';
import { deadlineClient } from './deadline-client.js';
import {
  configSections,
  countAgainstDatabase,
  createDrillDatabase,
  type DrillContext,
  drillConfig,
  keyPrefix,
  loop,
  sleep,
  startDrillServer,
  Tally,
  waitFor,
  workerBuilt,
} from './harness.js';
import type { Half } from './kill-9-export.js';
import { bullmqOutageHalf } from './redis-outage-bullmq.js';
import { check, type DrillResult, latencySummary, ms } from './report.js';

const CALLERS = 8;
const SEEDED_ORDERS = 50;

export async function redisOutageDrill(ctx: DrillContext): Promise<DrillResult> {
  const short = ctx.form === 'short';
  const outageMs = short ? 3000 : 10_000;
  const db = await createDrillDatabase('redis_outage');
  const redis = await OwnRedisServer.start();
  const prefix = keyPrefix('redis');
  const server = await startDrillServer(
    drillConfig(
      { database: db.database },
      { cache: { kind: 'redis', redis: { host: '127.0.0.1', port: redis.port, keyPrefix: `${prefix}cache:` } } },
    ),
  );
  const api = deadlineClient(server.grpcAddress);
  const tally = new Tally();
  const cacheUp = async () => sample((await scrape(server.adminUrl)).text, 'orderflow_cache_up') === 1;
  let stop = false;
  try {
    const ids: string[] = [];
    for (let i = 0; i < SEEDED_ORDERS; i++) {
      const key = `${prefix}seed-${i}`;
      const created = await tally.run(
        () => api.createOrder({ customerId: 'redis-drill', items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: key }, 10_000),
        key,
      );
      if (created?.order !== undefined) {
        tally.acknowledge(key, created.order.id);
        ids.push(created.order.id);
      }
    }
    const load = loop(
      CALLERS,
      async (caller, n) => {
        if (n % 5 === 0) {
          const key = `${prefix}${caller}-${n}`;
          const created = await tally.run(
            () =>
              api.createOrder({ customerId: 'redis-drill', items: [{ productId: 'espresso', quantity: 1 }], idempotencyKey: key }, 10_000),
            key,
          );
          if (created?.order !== undefined) tally.acknowledge(key, created.order.id);
        } else {
          await tally.run(() => api.getOrder({ id: ids[n % ids.length]! }, 10_000));
        }
        await sleep(5);
      },
      { stop: () => stop, maxCalls: 500_000, maxMs: 180_000 },
    );
    const phases: { name: string; from: number; to: number }[] = [];
    const phase = async (name: string, lengthMs: number, begin: () => unknown) => {
      const from = performance.now();
      await begin();
      await sleep(lengthMs);
      phases.push({ name, from, to: performance.now() });
    };
    await phase('before', short ? 2000 : 5000, () => undefined);
    let downAfterKill: number | undefined;
    await phase('killed', outageMs, async () => {
      const t = performance.now();
      await redis.kill();
      if (await waitFor(async () => !(await cacheUp()), outageMs, 50)) downAfterKill = performance.now() - t;
    });
    let upAfterRestart: number | undefined;
    await phase('restarted', short ? 3000 : 5000, async () => {
      const t = performance.now();
      await redis.start();
      if (await waitFor(cacheUp, short ? 3000 : 5000, 100)) upAfterRestart = performance.now() - t;
    });
    let downAfterFreeze: number | undefined;
    await phase('frozen (SIGSTOP)', outageMs, async () => {
      const t = performance.now();
      redis.signal('SIGSTOP');
      if (await waitFor(async () => !(await cacheUp()), outageMs, 50)) downAfterFreeze = performance.now() - t;
    });
    let upAfterThaw: number | undefined;
    await phase('thawed', short ? 3000 : 5000, async () => {
      const t = performance.now();
      redis.signal('SIGCONT');
      if (await waitFor(cacheUp, short ? 3000 : 5000, 100)) upAfterThaw = performance.now() - t;
    });
    stop = true;
    await load;

    const during = (p: (typeof phases)[0]) => (o: { startedAt: number }) => o.startedAt >= p.from && o.startedAt < p.to;
    const counts = await countAgainstDatabase(tally, db, prefix);
    const failed = counts.attempted - counts.succeeded;
    // The cache part's server (in-process export queue) must not be there to take export jobs.
    api.close();
    await server.dispose();
    const bullmq: Half =
      configSections().includes('exports') && workerBuilt()
        ? await bullmqOutageHalf(ctx, db)
        : {
            timings: [],
            promises: [{ what: 'BullMQ half', outcome: 'skipped', detail: 'not available (no exports queue or no dist/cmd/worker.js)' }],
            notes: [],
          };
    return {
      name: 'redis-outage',
      form: ctx.form,
      counts,
      timings: [
        ...phases.map((p): [string, string] => [`latency while ${p.name}`, latencySummary(tally.latencies(during(p)))]),
        ['orderflow_cache_up 0 after the kill', ms(downAfterKill)],
        ['cache up again after the restart', ms(upAfterRestart)],
        ['orderflow_cache_up 0 after SIGSTOP', downAfterFreeze === undefined ? `not within ${outageMs} ms` : ms(downAfterFreeze)],
        ['cache up again after SIGCONT', ms(upAfterThaw)],
        ...bullmq.timings,
      ],
      promises: [
        check('0 client errors', failed === 0, `${failed} failed`),
        check('the outage is seen (orderflow_cache_up 0 after the kill)', downAfterKill !== undefined, ms(downAfterKill)),
        check(
          'the cache is used again after the restart (orderflow_cache_up 1)',
          upAfterRestart !== undefined,
          upAfterRestart === undefined ? 'still 0' : ms(upAfterRestart),
        ),
        check(
          'the cache is used again after SIGCONT (orderflow_cache_up 1)',
          upAfterThaw !== undefined,
          upAfterThaw === undefined ? 'still 0' : ms(upAfterThaw),
        ),
        ...bullmq.promises,
      ],
      notes: [
        `${CALLERS} callers: 4 GetOrder (cache hits) to 1 CreateOrder; Redis killed for ${outageMs} ms, restarted, then SIGSTOPped for ${outageMs} ms; cache.redis.commandTimeoutMs 250 (default)`,
        ...bullmq.notes,
      ],
    };
  } finally {
    stop = true;
    api.close();
    await server.dispose();
    await redis.stop();
    await db.drop();
  }
}
