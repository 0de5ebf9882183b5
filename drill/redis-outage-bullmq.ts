// The BullMQ half of drill "redis-outage": export jobs queued before the outage complete after
// it. An API server (services.exports: false) records K export jobs and hands them to BullMQ on a
// redis-server of the drill's own while no worker runs; once the outbox is empty (every job is in
// Redis), that Redis is SIGKILLed and restarted on the same port (with --appendonly yes, as a
// production Redis with persistence runs, so the restarted one still has the queue), one more job
// is asked for while it is down (it waits in the outbox), then Redis is frozen (SIGSTOP) and thawed.
// Only then is a worker started: every job must reach SUCCEEDED, each in one attempt (none twice).
import { ExportFormat } from '../src/gen/orderflow/exports/v1/export_service.js';
import { connect } from '../test/support/clients.js';
import { bullmqExports, chunkAttempts, type DrillWorker, seedOrders, startDrillWorker, startQueueRedis } from './export-processes.js';
import type { Half } from './kill-9-export.js';
import { type DrillContext, type DrillDatabase, drillConfig, type DrillServer, sleep, startDrillServer, waitFor } from './harness.js';
import { check, ms } from './report.js';

/**
 * `persistent` false runs Redis without its append-only file (drill/bullmq-no-persistence.ts): the
 * restart loses the queued jobs, and the reconcile sweep (exports.staleAfterMs shortened to 5 s,
 * maintenance every second) must queue them again.
 */
export async function bullmqOutageHalf(ctx: DrillContext, db: DrillDatabase, persistent = true): Promise<Half> {
  const short = ctx.form === 'short';
  const jobs = short ? 5 : 20;
  const outageMs = short ? 1500 : 5000;
  const redis = await startQueueRedis(persistent);
  const sweep = persistent ? {} : { staleAfterMs: 5000, maintenanceIntervalMs: 1000 };
  const config = drillConfig({ database: db.database }, bullmqExports(redis.port, 'drill-redis-outage', { pageSize: 500, ...sweep }));
  let server: DrillServer | undefined;
  let worker: DrillWorker | undefined;
  try {
    server = await startDrillServer(config);
    await seedOrders(db, short ? 2000 : 10_000);
    const api = connect(server.grpcAddress);
    try {
      const ask = async (key: string) =>
        (await api.exports.exportOrders({ customerId: '', status: 0, format: ExportFormat.EXPORT_FORMAT_NDJSON, idempotencyKey: key })).job!
          .id;
      const ids: string[] = [];
      for (let i = 0; i < jobs; i++) ids.push(await ask(`drill-redis-outage-${i}`));
      const inOutbox = async (which: string[]) =>
        Number(
          (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM export_outbox WHERE job_id = ANY($1::uuid[])', [which]))[0]!.n,
        );
      const dispatched = await waitFor(async () => (await inOutbox(ids)) === 0, 20_000, 50);
      const queuedBefore = Number(
        (
          await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM export_jobs WHERE id = ANY($1::uuid[]) AND status = 'QUEUED'`, [
            ids,
          ])
        )[0]!.n,
      );

      // The outage: killed, a job asked for while it is down, restarted on the same port; then frozen and thawed.
      await redis.kill();
      let duringOutage: string | undefined;
      const askedDuring = await ask('drill-redis-outage-during').then(
        (id) => ((duringOutage = id), 'OK'),
        (e: unknown) => String((e as { code?: unknown }).code ?? e),
      );
      await sleep(outageMs);
      await redis.start();
      redis.signal('SIGSTOP');
      await sleep(outageMs);
      redis.signal('SIGCONT');
      const all = duringOutage === undefined ? ids : [...ids, duringOutage];

      const started = performance.now();
      worker = await startDrillWorker(config);
      const rows = async () =>
        db.query<{ id: string; status: string; attempts: number }>(
          'SELECT id::text, status, attempts FROM export_jobs WHERE id = ANY($1::uuid[])',
          [all],
        );
      const done = await waitFor(async () => (await rows()).every((r) => r.status === 'SUCCEEDED'), short ? 30_000 : 90_000, 100);
      const doneMs = performance.now() - started;
      const final = await rows();
      const succeeded = final.filter((r) => r.status === 'SUCCEEDED');
      const chunkOwners = await Promise.all(all.map((id) => chunkAttempts(db, id)));
      // Twice: more than one attempt, or chunks of more than one (a job never run is the check above's).
      const twice = final.filter((r) => r.attempts > 1 || chunkOwners[all.indexOf(r.id)]!.length > 1);
      const statuses = [...new Set(final.map((r) => r.status))].map((s) => `${s} ${final.filter((r) => r.status === s).length}`).join(', ');
      ctx.log(`BullMQ half: ${succeeded.length} of ${all.length} jobs SUCCEEDED after the outage (${statuses})`);
      return {
        timings: [
          ['BullMQ: jobs queued before the outage (QUEUED, outbox empty)', `${queuedBefore} of ${jobs}`],
          ['BullMQ: ExportOrders while Redis was down', askedDuring],
          ['BullMQ: worker start to every job SUCCEEDED', done ? ms(doneMs) : `not within the bound (${ms(doneMs)})`],
          ['BullMQ: jobs SUCCEEDED / run more than once', `${succeeded.length} of ${all.length} / ${twice.length}`],
        ],
        promises: [
          check(
            'BullMQ: every job was in Redis before the outage',
            dispatched && queuedBefore === jobs,
            `${queuedBefore} of ${jobs} QUEUED, outbox empty: ${dispatched}`,
          ),
          check(
            'BullMQ: jobs queued before the outage complete after it',
            ids.every((id) => final.find((r) => r.id === id)?.status === 'SUCCEEDED'),
            `${succeeded.filter((r) => ids.includes(r.id)).length} of ${jobs} SUCCEEDED (${statuses})`,
          ),
          check(
            'BullMQ: a job asked for during the outage is recorded and completes after it',
            duringOutage !== undefined && final.find((r) => r.id === duringOutage)?.status === 'SUCCEEDED',
            duringOutage === undefined ? `ExportOrders ended ${askedDuring}` : String(final.find((r) => r.id === duringOutage)?.status),
          ),
          check(
            'BullMQ: no job ran twice (at most 1 attempt, chunks of one attempt, SQL)',
            twice.length === 0,
            `${twice.length} of ${all.length}`,
          ),
        ],
        notes: [
          `BullMQ half: ${jobs} export jobs queued with no worker running, Redis (its own, ${persistent ? '--appendonly yes, as a production Redis with persistence' : "--appendonly no --save '': the restart loses the queue; exports.staleAfterMs 5000, maintenanceIntervalMs 1000"}) SIGKILLed for ${outageMs} ms and restarted on the same port, then SIGSTOPped for ${outageMs} ms; the worker started after`,
        ],
      };
    } finally {
      api.close();
    }
  } finally {
    await worker?.dispose();
    await server?.dispose();
    await redis.stop();
  }
}
