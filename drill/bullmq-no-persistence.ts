// The BullMQ half of redis-outage with a Redis that persists nothing (`--appendonly no --save ''`;
// not in `all`). Jobs already handed to BullMQ (their outbox rows gone) are lost from the queue
// when that Redis restarts; the reconcile sweep (src/domain/exports/reconcile-exports.ts, here
// with exports.staleAfterMs 5 s) queues them again and they complete, each once. Prints the half's
// table lines and the jobs by status (SQL); exits 1 if a promise failed.
//   npm run build && npx tsx drill/bullmq-no-persistence.ts
import { createDrillDatabase, requireBuild } from './harness.js';
import { bullmqOutageHalf } from './redis-outage-bullmq.js';

requireBuild();
const db = await createDrillDatabase('bullmq_no_persistence');
try {
  const half = await bullmqOutageHalf({ form: 'short', log: (line) => console.log(line) }, db, false);
  for (const [label, value] of half.timings) console.log(`${label}: ${value}`);
  for (const p of half.promises) console.log(`[${p.outcome}] ${p.what}: ${p.detail}`);
  const jobs = await db.query<{ status: string; attempts: number; n: string }>(
    'SELECT status, attempts, count(*)::text AS n FROM export_jobs GROUP BY 1, 2 ORDER BY 1',
  );
  console.log(`jobs by status (SQL): ${jobs.map((j) => `${j.status} (attempts ${j.attempts}) ${j.n}`).join(', ')}`);
  if (half.promises.some((p) => p.outcome === 'broken')) process.exitCode = 1;
} finally {
  await db.drop();
}
