// Drill "soak" (not in `all`, not in CI): 10 minutes of mixed load (CreateOrder, GetOrder,
// ListOrders, UpdateOrderStatus, WatchOrders streams, small ImportOrders, and an export every
// EXPORT_EVERY_MS run by a worker process on BullMQ) on PostgreSQL with the Redis cache (one
// redis-server of the drill's own, noeviction, serves the cache and the queue). The server's RSS
// (from /proc) and heap used (the admin /metrics nodejs_heap_size_used_bytes), and the worker's
// (the same from its own admin listener), are sampled every 10 s. Promise: each grows less than 10 % from minute 2 to minute 10
// (the mean of minute 2-3 against the mean of minute 9-10); every export succeeds and its
// download matches the job's size and SHA-256. `--short` runs one minute on the same proportions
// (a quick check, not the promise's figure).
import { readFileSync } from 'node:fs';
import { AsyncQueue, reader } from '../test/support/async-queue.js';
import { connect } from '../test/support/clients.js';
import { sample, scrape } from '../test/support/scrape.js';
import { ExportFormat, ExportJobStatus } from '../src/gen/orderflow/exports/v1/export_service.js';
import { type ImportOrdersRequest, OrderStatus } from '../src/gen/orderflow/orders/v1/order_service.js';
import { deadlineClient } from './deadline-client.js';
import { bullmqExports, downloadDigest, startDrillWorker, startQueueRedis } from './export-processes.js';
import {
  countAgainstDatabase,
  createDrillDatabase,
  type DrillContext,
  drillConfig,
  keyPrefix,
  loop,
  mib,
  sleep,
  startDrillServer,
  Tally,
  waitFor,
} from './harness.js';
import { check, type DrillResult, latencySummary } from './report.js';

const CALLERS = 6;
const WATCHERS = 10;
/** One export (a customer's orders, CSV) is asked this often, watched to its end and downloaded. */
const EXPORT_EVERY_MS = 20_000;

/** Resident set size of process `pid` in bytes, from /proc (undefined once it is gone). */
function processRss(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export async function soakDrill(ctx: DrillContext): Promise<DrillResult> {
  const durationMs = ctx.form === 'short' ? 60_000 : (ctx.minutes ?? 10) * 60_000;
  const sampleEveryMs = ctx.form === 'short' ? 2000 : 10_000;
  const db = await createDrillDatabase('soak');
  const redis = await startQueueRedis();
  const prefix = keyPrefix('soak');
  const config = drillConfig(
    { database: db.database },
    {
      cache: { kind: 'redis', redis: { host: '127.0.0.1', port: redis.port, keyPrefix: `${prefix}cache:` } },
      ...bullmqExports(redis.port, `${prefix}queue`),
    },
  );
  const server = await startDrillServer(config);
  const worker = await startDrillWorker(config);
  const exportsRun = { asked: 0, succeeded: 0, verified: 0, failed: [] as string[] };
  const api = deadlineClient(server.grpcAddress);
  const streams = connect(server.grpcAddress);
  const tally = new Tally();
  const samples: { atMs: number; rss: number; heap: number; workerRss: number; workerHeap: number }[] = [];
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const end = new AbortController();
  try {
    const watches = Array.from({ length: WATCHERS }, (_, i) =>
      reader(streams.orders.watchOrders({ customerId: `soak-${i % CALLERS}` }, { signal: end.signal })),
    );
    const ids: string[] = [];
    const load = loop(
      CALLERS,
      async (caller, n) => {
        const customerId = `soak-${caller}`;
        switch (n % 10) {
          case 0:
          case 1: {
            const key = `${prefix}${caller}-${n}`;
            const created = await tally.run(
              () => api.createOrder({ customerId, items: [{ productId: 'cup', quantity: 1 + (n % 4) }], idempotencyKey: key }, 10_000),
              key,
            );
            if (created?.order !== undefined) {
              tally.acknowledge(key, created.order.id);
              if (ids.length < 5000) ids.push(created.order.id);
            }
            break;
          }
          case 2:
            await tally.run(() => streams.orders.listOrders({ customerId, pageSize: 20 }, { deadline: 10_000 }));
            break;
          case 3: {
            const id = ids[n % Math.max(1, ids.length)];
            if (id !== undefined)
              await tally.run(() =>
                streams.orders
                  .updateOrderStatus({ id, status: OrderStatus.ORDER_STATUS_CANCELLED, expectedVersion: 0n }, { deadline: 10_000 })
                  .catch((e: { code?: number }) => {
                    if (e.code !== 9) throw e; // FAILED_PRECONDITION: already cancelled, a valid answer
                  }),
              );
            break;
          }
          case 4:
            if (n % 200 === 4) {
              const items = Array.from({ length: 20 }, (_, i) => ({
                order: {
                  customerId,
                  items: [{ productId: 'espresso', quantity: 1 }],
                  idempotencyKey: `${prefix}import-${caller}-${n}-${i}`,
                },
              }));
              const requests = new AsyncQueue<ImportOrdersRequest>();
              for (const item of items) requests.push(item);
              requests.end();
              const imported = await tally.run(() => streams.orders.importOrders(requests));
              if (imported !== undefined)
                for (const o of imported.orders) tally.acknowledge(items[o.index]!.order.idempotencyKey, o.orderId);
            }
            break;
          default: {
            const id = ids[(n * 7) % Math.max(1, ids.length)];
            if (id !== undefined) await tally.run(() => api.getOrder({ id }, 10_000));
          }
        }
        await sleep(10);
      },
      { stop: () => elapsed() >= durationMs, maxCalls: 10_000_000, maxMs: durationMs + 5000 },
    );
    const exporting = (async () => {
      for (let n = 0; elapsed() < durationMs - EXPORT_EVERY_MS / 2; n++) {
        const customerId = `soak-${n % CALLERS}`;
        exportsRun.asked++;
        try {
          const { job } = await streams.exports.exportOrders(
            { customerId, status: 0, format: ExportFormat.EXPORT_FORMAT_CSV, idempotencyKey: `${prefix}export-${n}` },
            { deadline: 10_000 },
          );
          let final = job;
          await waitFor(
            async () => {
              final = (await streams.exports.getExportJob({ id: job!.id }, { deadline: 10_000 })).job;
              return (
                final?.status === ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED || final?.status === ExportJobStatus.EXPORT_JOB_STATUS_FAILED
              );
            },
            60_000,
            250,
          );
          if (final?.status !== ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED) {
            exportsRun.failed.push(`${job!.id}: ${ExportJobStatus[final?.status ?? 0]} ${final?.error ?? ''}`);
          } else {
            exportsRun.succeeded++;
            const file = await downloadDigest(streams, job!.id);
            if (file.sha256 === final.sha256 && BigInt(file.bytes) === final.sizeBytes) exportsRun.verified++;
            else
              exportsRun.failed.push(`${job!.id}: download ${file.bytes} bytes ${file.sha256} != job ${final.sizeBytes} ${final.sha256}`);
          }
        } catch (error) {
          exportsRun.failed.push(`export ${n}: ${error instanceof Error ? error.message : String(error)}`);
        }
        await sleep(EXPORT_EVERY_MS);
      }
    })();
    while (elapsed() < durationMs) {
      const heap = sample((await scrape(server.adminUrl)).text, 'nodejs_heap_size_used_bytes');
      const rss = server.rssBytes();
      const workerRss = processRss(worker.pid);
      const workerHeap = sample((await scrape(worker.adminUrl)).text, 'nodejs_heap_size_used_bytes');
      if (heap !== undefined && rss !== undefined && workerRss !== undefined && workerHeap !== undefined)
        samples.push({ atMs: elapsed(), rss, heap, workerRss, workerHeap });
      ctx.log(
        `${Math.round(elapsed() / 1000)} s: RSS ${mib(rss)}, heap used ${mib(heap)}, worker RSS ${mib(workerRss)} (heap used ${mib(workerHeap)}), ${tally.outcomes.length} calls, ${exportsRun.succeeded} exports`,
      );
      await sleep(sampleEveryMs);
    }
    await load;
    await exporting;
    end.abort();
    await Promise.all(watches.map((w) => w.end(10_000).catch(() => undefined)));

    const window = (from: number, to: number) => samples.filter((s) => s.atMs >= from * durationMs && s.atMs < to * durationMs);
    const early = window(0.2, 0.3);
    const late = window(0.9, 1.01);
    const growth = (pick: (s: (typeof samples)[0]) => number) => mean(late.map(pick)) / mean(early.map(pick)) - 1;
    const rssGrowth = growth((s) => s.rss);
    const heapGrowth = growth((s) => s.heap);
    const workerGrowth = growth((s) => s.workerRss);
    const workerHeapGrowth = growth((s) => s.workerHeap);
    const counts = await countAgainstDatabase(tally, db, prefix);
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    // The windows' names, in minutes of this run (2-3 and the last minute for the 10-minute form).
    const at = (share: number) => String(Math.round((share * durationMs) / 6_000) / 10);
    const windows = `minute ${at(0.2)}-${at(0.3)} mean / minute ${at(0.9)}-${at(1)} mean / max`;
    const fromEarly = `from minute ${at(0.2)} to the end`;
    return {
      name: 'soak',
      form: ctx.form,
      counts,
      timings: [
        ['duration', `${durationMs / 1000} s, sampled every ${sampleEveryMs / 1000} s`],
        ['call latency', latencySummary(tally.latencies())],
        [
          `RSS: ${windows}`,
          `${mib(mean(early.map((s) => s.rss)))} / ${mib(mean(late.map((s) => s.rss)))} / ${mib(Math.max(...samples.map((s) => s.rss)))}`,
        ],
        [
          `heap used: ${windows}`,
          `${mib(mean(early.map((s) => s.heap)))} / ${mib(mean(late.map((s) => s.heap)))} / ${mib(Math.max(...samples.map((s) => s.heap)))}`,
        ],
        [
          `worker RSS: ${windows}`,
          `${mib(mean(early.map((s) => s.workerRss)))} / ${mib(mean(late.map((s) => s.workerRss)))} / ${mib(Math.max(...samples.map((s) => s.workerRss)))}`,
        ],
        [
          `worker heap used: ${windows}`,
          `${mib(mean(early.map((s) => s.workerHeap)))} / ${mib(mean(late.map((s) => s.workerHeap)))} / ${mib(Math.max(...samples.map((s) => s.workerHeap)))}`,
        ],
        ['exports asked / succeeded / downloads verified', `${exportsRun.asked} / ${exportsRun.succeeded} / ${exportsRun.verified}`],
        [
          'samples (s: RSS MiB / heap MiB / worker RSS MiB)',
          samples
            .map(
              (s) =>
                `${Math.round(s.atMs / 1000)}: ${Math.round(s.rss / 2 ** 20)}/${Math.round(s.heap / 2 ** 20)}/${Math.round(s.workerRss / 2 ** 20)}`,
            )
            .join(' '),
        ],
      ],
      promises: [
        check(`RSS growth < 10 % ${fromEarly}`, rssGrowth < 0.1, pct(rssGrowth)),
        check(`heap growth < 10 % ${fromEarly}`, heapGrowth < 0.1, pct(heapGrowth)),
        check('0 failed calls', counts.attempted === counts.succeeded, `${counts.attempted - counts.succeeded} failed`),
        check(`worker RSS growth < 10 % ${fromEarly}`, workerGrowth < 0.1, pct(workerGrowth)),
        check(`worker heap growth < 10 % ${fromEarly}`, workerHeapGrowth < 0.1, pct(workerHeapGrowth)),
        check(
          'every export succeeded and its download matched the job',
          exportsRun.asked > 0 && exportsRun.verified === exportsRun.asked,
          exportsRun.failed.length === 0 ? `${exportsRun.verified} of ${exportsRun.asked}` : exportsRun.failed.slice(0, 3).join('; '),
        ),
      ],
      notes: [
        `${CALLERS} callers (CreateOrder 2, ListOrders 1, UpdateOrderStatus 1, GetOrder 5 of 10; an import of 20 every 200 calls), ${WATCHERS} WatchOrders streams, a CSV export every ${EXPORT_EVERY_MS / 1000} s on a worker process (BullMQ); the short form is one minute with the same windows (20-30 % against 90-100 %)`,
      ],
    };
  } finally {
    end.abort();
    api.close();
    streams.close();
    await worker.dispose();
    await server.dispose();
    await redis.stop();
    await db.drop();
  }
}
