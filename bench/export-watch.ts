// WatchExportJob latency across processes on PostgreSQL: job change committed → the watcher's
// message. One orderflow server (a real process, from --checkout: this tree by default, or e.g.
// /work/main for the polling build before LISTEN/NOTIFY) on a database of this run's own; this
// process is the other process that changes jobs, through the SQL store on its own pool: for
// each of --jobs jobs, startAttempt, --progress progress writes and success, one change every
// 300–700 ms (random, so that a poll's phase is uniform), each timed from the moment its commit
// returned here to the moment the watcher on the server received the new state. The server runs
// with its default exports.watchPollIntervalMs unless --poll-ms is given.
//   npx tsx bench/export-watch.ts [--checkout DIR] [--jobs 4] [--progress 8] [--poll-ms N]
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChannelCredentials } from '@grpc/grpc-js';
import { createChannel, createClient } from 'nice-grpc';
import { stringify } from 'yaml';
import { PostgresExportJobStore } from '../src/adapters/postgres/export-job-store.js';
import { openPgDriver } from '../src/adapters/postgres/pg-driver.js';
import { ExportServiceDefinition } from '../src/gen/orderflow/exports/v1/export_service.js';
import { anExportJob } from '../test/contracts/export-job-store.contract.js';
import { freePort } from '../test/support/redis.js';
import { POSTGRES, postgresAdmin } from '../test/support/required-services.js';
import { machine, quantile, sleep } from './event-servers.js';
import { Child, killChildrenOnExit } from './processes.js';

const { values } = parseArgs({
  options: {
    checkout: { type: 'string', default: join(import.meta.dirname, '..') },
    jobs: { type: 'string', default: '4' },
    progress: { type: 'string', default: '8' },
    'poll-ms': { type: 'string' },
  },
});

killChildrenOnExit();
const database = `orderflow_bench_watch_${randomBytes(4).toString('hex')}`;
await postgresAdmin(`CREATE DATABASE ${database}`);
const [grpc, admin] = [await freePort(), await freePort()];
const confPath = join(tmpdir(), `orderflow-bench-watch-${randomBytes(3).toString('hex')}.yaml`);
writeFileSync(
  confPath,
  stringify({
    env: 'dev',
    grpc: { host: '127.0.0.1', port: grpc, reflection: false, tls: { enabled: false } },
    admin: { host: '127.0.0.1', port: admin },
    log: { level: 'warn', format: 'json' },
    store: { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database, migrate: true },
    auth: { enabled: false },
    shutdown: { timeoutMs: 2000, drainDelayMs: 0, closeTimeoutMs: 2000 },
    // Jobs inserted here leave the outbox at once and are never swept: nobody runs them.
    exports: {
      dispatchIntervalMs: 3_600_000,
      ...(values['poll-ms'] === undefined ? {} : { watchPollIntervalMs: Number(values['poll-ms']) }),
    },
  }),
);
const server = new Child({
  name: 'server',
  nodeArgs: ['--import', 'tsx', join(values.checkout, 'src/cmd/server.ts')],
  cwd: values.checkout,
  env: { CONF_PATH: confPath },
  core: undefined,
});
for (let ready = false; !ready; await sleep(100)) {
  if (server.process.exitCode !== null) throw new Error(`the server exited: ${server.stderr()}`);
  ready = await fetch(`http://127.0.0.1:${admin}/health/ready`).then(
    (r) => r.ok,
    () => false,
  );
}

const driver = openPgDriver({
  host: POSTGRES.host,
  port: POSTGRES.port,
  user: POSTGRES.user,
  database,
  password: undefined,
  poolMax: 2,
  connectTimeoutMs: 5000,
  onIdleError: () => {},
});
const jobs = new PostgresExportJobStore(driver);
const exportsApi = createClient(ExportServiceDefinition, createChannel(`127.0.0.1:${grpc}`, ChannelCredentials.createInsecure()));
const latencies: number[] = [];

for (let j = 0; j < Number(values.jobs); j++) {
  const id = randomUUID();
  await jobs.create(anExportJob({ id }));
  await jobs.markDispatched([id]);
  const arrivals: number[] = [];
  let onArrival: (() => void) | undefined;
  const watching = (async () => {
    for await (const _ of exportsApi.watchExportJob({ id })) {
      arrivals.push(performance.now());
      onArrival?.();
    }
  })();
  const arrived = (n: number) =>
    new Promise<void>((resolve) => {
      onArrival = () => arrivals.length >= n && resolve();
      onArrival();
    });
  await arrived(1);
  const total = Number(values.progress) * 10;
  const changes: (() => Promise<unknown>)[] = [
    () => jobs.startAttempt(id, total, new Date()),
    ...Array.from({ length: Number(values.progress) }, (_, i) => () => jobs.recordProgress(id, 1, (i + 1) * 10, new Date())),
    () => jobs.succeed(id, 1, { ordersDone: total, sizeBytes: 0, sha256: '' }, new Date()),
  ];
  for (const change of changes) {
    await sleep(300 + Math.random() * 400);
    const before = arrivals.length;
    await change();
    const committed = performance.now();
    await arrived(before + 1);
    latencies.push((arrivals[before] as number) - committed);
  }
  await watching;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const sorted = [...latencies];
console.log(
  JSON.stringify({
    checkout: values.checkout,
    changes: latencies.length,
    p50: ms(quantile(sorted, 0.5)),
    p99: ms(quantile(sorted, 0.99)),
    max: ms(Math.max(...latencies)),
    machine: machine(),
  }),
);
await driver.close();
await server.stop();
await postgresAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
