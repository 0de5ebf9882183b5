// The export half of drill "kill-9": one API server (services.exports: false) records export
// jobs and hands them to BullMQ on a redis-server of the drill's own; a worker
// (dist/cmd/worker.js) runs them. Orders are seeded by SQL so that an export takes seconds; the
// worker is SIGKILLed while the job is RUNNING with orders_done > 0, another worker is started,
// and the job must reach SUCCEEDED whole: the download's size and SHA-256 equal the job's and a
// fresh export's of the same filter, and the job's chunks belong to one attempt only.
import { ExportFormat, ExportJobStatus } from '../src/gen/orderflow/exports/v1/export_service.js';
import { connect } from '../test/support/clients.js';
import {
  bullmqExports,
  chunkAttempts,
  downloadDigest,
  type DrillWorker,
  jobRow,
  seedOrders,
  startDrillWorker,
  startQueueRedis,
} from './export-processes.js';
import { type DrillContext, type DrillDatabase, drillConfig, type DrillServer, startDrillServer, waitFor } from './harness.js';
import { check, ms, type PromiseCheck } from './report.js';

export type Half = { timings: [string, string][]; promises: PromiseCheck[]; notes: string[] };

export async function kill9ExportHalf(ctx: DrillContext, db: DrillDatabase): Promise<Half> {
  const short = ctx.form === 'short';
  const orders = short ? 20_000 : 100_000;
  const pageSize = short ? 100 : 200;
  const redis = await startQueueRedis();
  const config = drillConfig({ database: db.database }, bullmqExports(redis.port, 'drill-kill9', { pageSize, progressIntervalMs: 50 }));
  let server: DrillServer | undefined;
  const workers: DrillWorker[] = [];
  try {
    server = await startDrillServer(config);
    await seedOrders(db, orders);
    workers.push(await startDrillWorker(config));
    const api = connect(server.grpcAddress);
    try {
      const request = { customerId: '', status: 0, format: ExportFormat.EXPORT_FORMAT_CSV };
      const { job } = await api.exports.exportOrders({ ...request, idempotencyKey: 'drill-kill9-export-1' });
      const id = job!.id;
      const midway = await waitFor(
        async () => {
          const row = await jobRow(db, id);
          return row?.status === 'RUNNING' && Number(row.orders_done) > 0;
        },
        60_000,
        10,
      );
      workers[0]!.child.kill('SIGKILL');
      await workers[0]!.exited;
      const atKill = await jobRow(db, id);
      ctx.log(`worker killed with the export ${atKill?.status} at ${atKill?.orders_done} of ${atKill?.orders_total} orders`);
      const restarted = performance.now();
      workers.push(await startDrillWorker(config));
      const finished = await waitFor(async () => (await jobRow(db, id))?.status === 'SUCCEEDED', short ? 40_000 : 120_000, 50);
      const finishMs = performance.now() - restarted;
      const final = (await api.exports.getExportJob({ id })).job!;
      const row = await jobRow(db, id);
      const attempts = await chunkAttempts(db, id);
      const file = finished ? await downloadDigest(api, id) : undefined;

      // A fresh export of the same filter (another idempotency key), by the surviving worker.
      const fresh = (await api.exports.exportOrders({ ...request, idempotencyKey: 'drill-kill9-export-2' })).job!;
      const freshDone = await waitFor(async () => (await jobRow(db, fresh.id))?.status === 'SUCCEEDED', short ? 30_000 : 90_000, 50);
      const freshFile = freshDone ? await downloadDigest(api, fresh.id) : undefined;

      const killedMidway = midway && atKill?.status === 'RUNNING' && Number(atKill.orders_done) < Number(atKill.orders_total);
      const oneAttempt =
        attempts.length === 1 && attempts[0]!.attempt === row?.attempts && attempts[0]!.chunks === attempts[0]!.distinct_seq;
      return {
        timings: [
          ['export: orders seeded (SQL)', String(orders)],
          ['export: orders done when the worker was killed', `${atKill?.orders_done} of ${atKill?.orders_total} (${atKill?.status})`],
          ['export: worker restart to SUCCEEDED', finished ? ms(finishMs) : `not within the bound (${ms(finishMs)})`],
          ['export: attempts', String(row?.attempts)],
          ['export: bytes (job / download / fresh export)', `${final.sizeBytes} / ${file?.bytes} / ${freshFile?.bytes}`],
          ['export: sha256 match (job = download = fresh)', String(file?.sha256 === final.sha256 && freshFile?.sha256 === final.sha256)],
        ],
        promises: [
          check(
            'export: the worker was killed mid-export (RUNNING, 0 < orders_done < total)',
            killedMidway,
            `${atKill?.status}, ${atKill?.orders_done} of ${atKill?.orders_total}`,
          ),
          check(
            'export: the job reaches SUCCEEDED after another worker starts',
            finished && final.status === ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED,
            `${row?.status} after ${ms(finishMs)}, ${row?.attempts} attempts`,
          ),
          check(
            "export: the download's size and SHA-256 equal the job's",
            file !== undefined && BigInt(file.bytes) === final.sizeBytes && file.sha256 === final.sha256,
            file === undefined ? 'no download' : `${file.bytes} bytes, ${file.sha256.slice(0, 12)}…`,
          ),
          check(
            'export: a fresh export of the same filter has the same size and SHA-256',
            freshFile !== undefined && freshFile.bytes === file?.bytes && freshFile.sha256 === file.sha256,
            freshFile === undefined ? 'the fresh export did not finish' : `${freshFile.bytes} bytes, ${freshFile.sha256.slice(0, 12)}…`,
          ),
          check(
            "export: the job's chunks exist once, of the winning attempt only (SQL)",
            oneAttempt,
            attempts.map((a) => `attempt ${a.attempt}: ${a.chunks} chunks (${a.distinct_seq} seq), ${a.bytes} bytes`).join('; ') +
              ` (job attempts ${row?.attempts})`,
          ),
        ],
        notes: [
          `export half: ${orders} orders seeded by SQL, exports.pageSize ${pageSize}, progressIntervalMs 50; BullMQ on a redis-server of the drill's own (noeviction) with lockDurationMs 2000, stalledIntervalMs 1000`,
        ],
      };
    } finally {
      api.close();
    }
  } finally {
    for (const worker of workers) await worker.dispose();
    await server?.dispose();
    await redis.stop();
  }
}
