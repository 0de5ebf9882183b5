// Drill "rolling-restart": two replicas on one PostgreSQL database, each on fixed ports so that a
// restart keeps its address. Callers create orders on one replica and, on a failure, retry the
// same idempotency key on the other (bounded attempts, short backoff); each replica is SIGTERMed
// and started again in turn under that load. WatchOrders streams on each replica (resuming after
// the last sequence they saw when their replica restarts) must see every order, including those
// created on the other replica, including one probe order created on each replica after the
// load has stopped (so that no local write wakes the other replica's watchers). Promises: final failed calls = 0; 0 lost; 0 duplicated; every
// replica exits 0; the watchers see everything. The last needs cross-process events (an `events`
// section in the build's config): without it the short form skips that check, the full form
// runs it and reports what it finds.
import { connect } from '../test/support/clients.js';
import { freePort } from '../test/support/redis.js';
import { OrderEventType } from '../src/gen/orderflow/orders/v1/order_service.js';
import { deadlineClient } from './deadline-client.js';
import {
  configSections,
  countAgainstDatabase,
  createDrillDatabase,
  type DrillContext,
  type DrillServer,
  drillConfig,
  keyPrefix,
  loop,
  sleep,
  startDrillServer,
  statusName,
  Tally,
  waitFor,
} from './harness.js';
import { check, type DrillResult, latencySummary, ms, type PromiseCheck } from './report.js';

const CALLERS = 10;
const MAX_ATTEMPTS = 8;
/** Fast reconnects: the drill's callers must notice a restarted replica within the drill. */
const CHANNEL = { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 };

type Replica = { name: string; grpcPort: number; adminPort: number; server: DrillServer; config: string };

/** A WatchOrders stream on one replica that resumes after its last sequence when the replica restarts. */
function watcher(address: string, signal: AbortSignal) {
  const seen = new Set<string>();
  let reconnects = 0;
  const running = (async () => {
    let after = 0n;
    while (!signal.aborted) {
      const api = connect(address);
      try {
        for await (const response of api.orders.watchOrders({ afterSequence: after }, { signal })) {
          const event = response.event;
          if (event === undefined) continue;
          after = event.sequence;
          if (event.type === OrderEventType.ORDER_EVENT_TYPE_CREATED && event.order !== undefined) seen.add(event.order.id);
        }
      } catch {
        // the replica went away (or the drill is over): reconnect below
      } finally {
        api.close();
      }
      if (!signal.aborted) {
        reconnects++;
        await sleep(200);
      }
    }
  })();
  return { seen, running, reconnects: () => reconnects };
}

export async function rollingRestartDrill(ctx: DrillContext): Promise<DrillResult> {
  const short = ctx.form === 'short';
  const settleMs = short ? 2000 : 5000;
  const eventsSupported = configSections().includes('events');
  const db = await createDrillDatabase('rolling');
  const prefix = keyPrefix('rolling');
  const replicas: Replica[] = [];
  for (const name of ['A', 'B']) {
    const grpcPort = await freePort();
    const adminPort = await freePort();
    const config = drillConfig(
      { database: db.database },
      { grpc: { port: grpcPort }, admin: { port: adminPort }, shutdown: { timeoutMs: 10_000, drainDelayMs: 500 } },
    );
    replicas.push({ name, grpcPort, adminPort, config, server: await startDrillServer(config) });
  }
  const address = (r: Replica) => `127.0.0.1:${r.grpcPort}`;
  const clients = replicas.map((r) => deadlineClient(address(r), {}, CHANNEL));
  const tally = new Tally();
  const watchEnd = new AbortController();
  const watchers = replicas.map((r) => Array.from({ length: 2 }, () => watcher(address(r), watchEnd.signal)));
  /** Which replica acknowledged each order. */
  const createdOn = new Map<string, number>();
  let retried = 0;
  const attemptCodes: Record<string, number> = {};
  let stop = false;
  const exits: string[] = [];
  try {
    const load = loop(
      CALLERS,
      async (caller, n) => {
        const key = `${prefix}${caller}-${n}`;
        const request = { customerId: `rolling-${caller}`, items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: key };
        const created = await tally.run(async () => {
          let lastError: unknown;
          for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            const target = (caller + n + attempt) % 2;
            try {
              const response = await clients[target]!.createOrder(request, 5000);
              if (response.order !== undefined) createdOn.set(response.order.id, target);
              return response;
            } catch (error) {
              lastError = error;
              const code = statusName(error);
              attemptCodes[code] = (attemptCodes[code] ?? 0) + 1;
              if (code !== 'UNAVAILABLE' && code !== 'DEADLINE_EXCEEDED') throw error;
              retried++;
              await sleep(Math.min(50 * 2 ** attempt, 1000));
            }
          }
          throw lastError;
        }, key);
        if (created?.order !== undefined) tally.acknowledge(key, created.order.id);
        await sleep(10);
      },
      { stop: () => stop, maxCalls: 200_000, maxMs: 180_000 },
    );
    await sleep(settleMs);
    const restarts: [string, string][] = [];
    for (const replica of replicas) {
      const signalled = performance.now();
      replica.server.child.kill('SIGTERM');
      const exit = await replica.server.exited;
      exits.push(`${replica.name} ${exit.code ?? exit.signal}`);
      const exitMs = performance.now() - signalled;
      await replica.server.dispose();
      replica.server = await startDrillServer(replica.config);
      restarts.push([
        `replica ${replica.name}: exit after SIGTERM / serving again after`,
        `${ms(exitMs)} / ${ms(performance.now() - signalled)}`,
      ]);
      ctx.log(`replica ${replica.name} restarted (exit ${exit.code ?? exit.signal})`);
      await sleep(settleMs);
    }
    stop = true;
    await load;

    // Probes: with the load stopped, one order created on each replica alone. Nothing else then
    // wakes the other replica's watchers: only cross-process events can bring it to them.
    for (const [i, client] of clients.entries()) {
      const key = `${prefix}probe-${i}`;
      const created = await tally.run(
        () => client.createOrder({ customerId: 'rolling-probe', items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: key }, 5000),
        key,
      );
      if (created?.order !== undefined) {
        tally.acknowledge(key, created.order.id);
        createdOn.set(created.order.id, i);
      }
    }

    // Watchers catch up (bounded), then stop.
    const everyOrder = [...tally.acknowledged.values()];
    const missingOn = (i: number) => {
      const seenByAll = watchers[i]!.map((w) => w.seen);
      return everyOrder.filter((id) => !seenByAll.every((s) => s.has(id)));
    };
    await waitFor(() => missingOn(0).length === 0 && missingOn(1).length === 0, short ? 5000 : 10_000, 100);
    watchEnd.abort();
    await Promise.all(watchers.flat().map((w) => w.running));

    const counts = await countAgainstDatabase(tally, db, prefix);
    const finalFailed = counts.attempted - counts.succeeded;
    const crossMissing = replicas.map((_, i) => missingOn(i).filter((id) => createdOn.get(id) !== i).length);
    const watchCheck: PromiseCheck =
      !eventsSupported && short
        ? {
            what: 'watchers on either replica see every order created on the other',
            outcome: 'skipped',
            detail: `skipped: needs cross-process events (no events section in this build's config); missing ${crossMissing.join(' / ')}`,
          }
        : check(
            'watchers on either replica see every order created on the other',
            crossMissing.every((n) => n === 0),
            `missing on A ${crossMissing[0]}, on B ${crossMissing[1]}${eventsSupported ? '' : ' (this build has no cross-process events)'}`,
          );
    return {
      name: 'rolling-restart',
      form: ctx.form,
      counts,
      timings: [
        ...restarts,
        ['replica exit codes', exits.join(', ')],
        [
          'attempts that failed over (by status)',
          `${retried}: ${
            Object.entries(attemptCodes)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ') || 'none'
          }`,
        ],
        ['call latency including failovers', latencySummary(tally.latencies())],
        [
          'orders created on A / B',
          `${[...createdOn.values()].filter((v) => v === 0).length} / ${[...createdOn.values()].filter((v) => v === 1).length}`,
        ],
        [
          'watcher reconnects',
          watchers
            .flat()
            .map((w) => w.reconnects())
            .join(', '),
        ],
        ["orders missing from a watcher, created on the other replica (A's / B's watchers)", crossMissing.join(' / ')],
        ["orders missing from a watcher, in all (A's / B's watchers)", `${missingOn(0).length} / ${missingOn(1).length}`],
      ],
      promises: [
        check('final failed calls = 0 (retries with the same key on the other replica)', finalFailed === 0, `${finalFailed} failed`),
        check(
          'every replica exited 0 after SIGTERM',
          exits.every((e) => e.endsWith(' 0')),
          exits.join(', '),
        ),
        watchCheck,
        check(
          'watchers see every order created on their own replica',
          replicas.every((_, i) => missingOn(i).filter((id) => createdOn.get(id) === i).length === 0),
          replicas.map((_, i) => missingOn(i).filter((id) => createdOn.get(id) === i).length).join(' / '),
        ),
      ],
      notes: [
        `${CALLERS} callers, CreateOrder with deadline 5000 ms, up to ${MAX_ATTEMPTS} attempts alternating replicas; 2 watchers per replica; shutdown.drainDelayMs 500`,
        ...(eventsSupported ? [] : ['this build has no cross-process events (no events section in its config)']),
      ],
    };
  } finally {
    stop = true;
    watchEnd.abort();
    for (const c of clients) c.close();
    for (const r of replicas) await r.server.dispose();
    await db.drop();
  }
}
