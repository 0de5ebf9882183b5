// Drill "kill-9": the server is SIGKILLed in the middle of an ImportOrders stream (once the
// database holds about a third of the items), restarted on the same database, and the same
// import is sent again with the same idempotency keys. Promises: every item acknowledged by the
// re-run is in the database under its key with the acknowledged id (0 lost), no key has two
// orders (0 duplicated), the re-run reports as duplicates exactly what the killed run had
// committed. The export half (kill-9-export.ts: the worker SIGKILLed mid-export, the export
// completes whole) needs dist/cmd/worker.js; without it the drill says so and does not fail.
import type { ImportOrdersRequest, ImportOrdersResponse } from '../src/gen/orderflow/orders/v1/order_service.js';
import { AsyncQueue } from '../test/support/async-queue.js';
import { connect } from '../test/support/clients.js';
import {
  countAgainstDatabase,
  createDrillDatabase,
  type DrillContext,
  drillConfig,
  keyPrefix,
  sleep,
  startDrillServer,
  statusName,
  Tally,
  waitFor,
  workerBuilt,
} from './harness.js';
import { type Half, kill9ExportHalf } from './kill-9-export.js';
import { check, type DrillResult, ms } from './report.js';

export async function kill9Drill(ctx: DrillContext): Promise<DrillResult> {
  const items = ctx.form === 'short' ? 600 : 3000;
  const db = await createDrillDatabase('kill9');
  const prefix = keyPrefix('kill9');
  const config = drillConfig({ database: db.database });
  const item = (i: number): ImportOrdersRequest => ({
    order: { customerId: `kill9-${i % 7}`, items: [{ productId: 'cup', quantity: 1 + (i % 3) }], idempotencyKey: `${prefix}${i}` },
  });
  const keys = Array.from({ length: items }, (_, i) => `${prefix}${i}`);
  const tally = new Tally();
  const committed = async () =>
    (await db.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE starts_with(idempotency_key, $1)', [prefix]))[0]!.n;
  const first = await startDrillServer(config);
  let second: Awaited<ReturnType<typeof startDrillServer>> | undefined;
  try {
    // The first run: items sent in small batches, so the kill lands mid-stream.
    const firstApi = connect(first.grpcAddress);
    const requests = new AsyncQueue<ImportOrdersRequest>();
    const started = performance.now();
    const firstResponse = firstApi.orders.importOrders(requests).then(
      (r): ImportOrdersResponse | string => r,
      (e: unknown) => statusName(e),
    );
    let stopFeeding = false;
    const feeding = (async () => {
      for (let i = 0; i < items && !stopFeeding; i++) {
        requests.push(item(i));
        if (i % 20 === 19) await sleep(30);
      }
      requests.end();
    })();
    const reached = await waitFor(async () => Number(await committed()) >= items / 3, 60_000, 10);
    first.child.kill('SIGKILL');
    const killedAt = performance.now();
    await first.exited;
    stopFeeding = true;
    await feeding;
    const firstOutcome = await firstResponse;
    firstApi.close();
    tally.outcomes.push({ startedAt: started, endedAt: killedAt, code: typeof firstOutcome === 'string' ? firstOutcome : 'OK' });
    if (typeof firstOutcome !== 'string') for (const o of firstOutcome.orders) tally.acknowledge(keys[o.index]!, o.orderId);
    const committedByFirst = Number(await committed());
    ctx.log(
      `killed with ${committedByFirst} of ${items} committed (the call ended ${typeof firstOutcome === 'string' ? firstOutcome : 'OK'})`,
    );
    await first.dispose();

    // Restart on the same database and send the same import again, same keys.
    const restartStarted = performance.now();
    second = await startDrillServer(config);
    const restartMs = performance.now() - restartStarted;
    const secondApi = connect(second.grpcAddress);
    const rerunStarted = performance.now();
    const rerun = await tally.run(async () => {
      const again = new AsyncQueue<ImportOrdersRequest>();
      for (let i = 0; i < items; i++) again.push(item(i));
      again.end();
      return secondApi.orders.importOrders(again);
    });
    const rerunMs = performance.now() - rerunStarted;
    secondApi.close();
    if (rerun !== undefined) for (const o of rerun.orders) tally.acknowledge(keys[o.index]!, o.orderId);

    const counts = await countAgainstDatabase(tally, db, prefix);
    // The import half's server (in-process export queue) must not be there to take export jobs.
    await second.dispose();
    const exportHalf: Half = workerBuilt()
      ? await kill9ExportHalf(ctx, db)
      : {
          timings: [],
          promises: [{ what: 'export half', outcome: 'skipped', detail: 'not available (no dist/cmd/worker.js)' }],
          notes: ['export half: not available (no dist/cmd/worker.js)'],
        };
    return {
      name: 'kill-9',
      form: ctx.form,
      counts,
      timings: [
        ['items in the import', String(items)],
        ['committed when killed (SQL)', `${committedByFirst}${reached ? '' : ' (the third was never reached: killed at the bound)'}`],
        ['first call ended', typeof firstOutcome === 'string' ? firstOutcome : 'OK (finished before the kill)'],
        ['restart to serving', ms(restartMs)],
        [
          're-run: created / duplicates / failed',
          rerun === undefined ? 'the call failed' : `${rerun.created} / ${rerun.duplicates} / ${rerun.failed}`,
        ],
        ['re-run took', ms(rerunMs)],
        ...exportHalf.timings,
      ],
      promises: [
        check(
          'the re-run succeeds with every item acknowledged',
          rerun !== undefined && rerun.orders.length === items && rerun.failed === 0,
          rerun === undefined ? 'failed' : `${rerun.orders.length} acknowledged, ${rerun.failed} failed`,
        ),
        check(
          'the re-run reports as duplicates exactly what the killed run committed',
          rerun?.duplicates === committedByFirst,
          `${rerun?.duplicates} duplicates, ${committedByFirst} committed before`,
        ),
        check(
          'the database holds exactly one order per key',
          counts.rows.length === items && new Set(counts.rows.map((r) => r.key)).size === items,
          `${counts.rows.length} rows, ${new Set(counts.rows.map((r) => r.key)).size} keys`,
        ),
        check('the kill landed mid-import', committedByFirst > 0 && committedByFirst < items, `${committedByFirst} of ${items}`),
        ...exportHalf.promises,
      ],
      notes: exportHalf.notes,
    };
  } finally {
    await first.dispose();
    await second?.dispose();
    await db.drop();
  }
}
