// The composition root of the worker process (src/cmd/worker.ts): the same config file and
// builders as the server — telemetry, the store, export jobs — with no gRPC listener: it takes
// export jobs from BullMQ and serves health and metrics on its admin port. stop() stops taking
// jobs, lets running ones finish within shutdown.timeoutMs, hands back the rest (another worker
// resumes them), closes everything and resolves with the exit code (1 if any job was handed back).
import type { DestinationStream } from 'pino';
import { createUuidV7Generator, systemClock } from '../adapters/system.js';
import type { Config } from '../config.js';
import { createAdminServer } from '../platform/admin-server.js';
import { ConfigError, describeConfig } from '../platform/config.js';
import { Closers, type Stoppable } from '../platform/lifecycle.js';
import type { Logger } from '../platform/logger.js';
import { ensurePortFree, explainListenError } from '../platform/port-in-use.js';
import { bullmqSettings, checkQueueRedis, createExports } from './exports.js';
import { openServingStore } from './store.js';
import { createReadiness, createRootLogger, createTelemetry, VERSION } from './telemetry.js';

export type Worker = Stoppable & { readonly log: Logger; start(): Promise<{ adminPort: number }> };

/** Why this config cannot run a worker, if it cannot. */
function workerProblem(config: Config): string | undefined {
  if (config.exports.queue.kind !== 'bullmq')
    return 'exports.queue.kind: the worker takes jobs from BullMQ; set it to bullmq (kind memory runs jobs inside the server)';
  if (config.store.kind !== 'postgres')
    return 'store.kind: the worker needs the store the servers use (postgres); the embedded and memory stores belong to one process';
  return undefined;
}

export async function createWorker(
  config: Config,
  options: { logDestination?: DestinationStream; configWarnings?: readonly string[] } = {},
): Promise<Worker> {
  const problem = workerProblem(config);
  if (problem !== undefined) throw new ConfigError(problem);
  const log = createRootLogger(config, { component: 'worker', destination: options.logDestination });
  log.info({ version: VERSION, config: describeConfig(config) }, 'starting worker');
  for (const warning of options.configWarnings ?? []) log.warn(warning);
  const closers = new Closers(log);
  try {
    const settings = bullmqSettings(config);
    if (settings !== undefined) for (const warning of await checkQueueRedis(settings)) log.warn(warning);
    const telemetry = createTelemetry(config, log, closers);
    const health = createReadiness(config, log);
    const store = await openServingStore(config, telemetry, health, closers);
    const exports = createExports(config, store, telemetry, closers, {
      orders: store.orders,
      now: systemClock,
      newId: createUuidV7Generator(),
      runJobs: true,
    });
    const admin = createAdminServer({ health, registry: telemetry.registry, log });
    let stopping: Promise<number> | undefined;
    return {
      log,
      async start() {
        const { host, port } = config.admin;
        await ensurePortFree('admin.port', host, port);
        const adminPort = await admin.listen(host, port).catch((error: unknown) => {
          throw explainListenError(error, 'admin.port', host, port);
        });
        await exports.start();
        const report = await health.start();
        log.info(
          { admin: `${host}:${adminPort}`, concurrency: config.exports.concurrency, queue: settings?.queueName, ready: report.ready },
          'worker taking export jobs',
        );
        return { adminPort };
      },
      stop() {
        stopping ??= (async () => {
          health.stop();
          const inTime = await exports.stopJobs(config.shutdown.timeoutMs);
          await admin.close();
          const closed = await closers.closeAll(config.shutdown.closeTimeoutMs);
          const code = inTime && closed ? 0 : 1;
          log.info({ jobs_finished_in_time: inTime, closed, exit_code: code }, 'stopped');
          log.flush();
          return code;
        })();
        return stopping;
      },
      force() {
        exports.force();
      },
    };
  } catch (error) {
    await closers.closeAll(config.shutdown.closeTimeoutMs);
    throw error;
  }
}
