// The life of a serving process: start() binds the listeners (both ports checked first, so a
// taken one is one clear line) and reports SERVING; stop() runs the documented order — health
// NOT_SERVING, the drain delay, the gRPC drain, the admin listener, then every resource in
// reverse order — and resolves with the exit code the process must return.
import type { Config } from '../config.js';
import type { AdminServer } from '../platform/admin-server.js';
import type { Health } from '../platform/health.js';
import type { Closers, Stoppable } from '../platform/lifecycle.js';
import type { Logger } from '../platform/logger.js';
import { ensurePortFree, explainListenError } from '../platform/port-in-use.js';
import type { GrpcServer } from '../transport/grpc/grpc-server.js';

export type App = Stoppable & {
  readonly log: Logger;
  /** Listens on the configured ports (0 picks free ones) and reports SERVING. */
  start(): Promise<{ grpcPort: number; adminPort: number }>;
};

export type Parts = Readonly<{ log: Logger; grpc: GrpcServer; admin: AdminServer; health: Health; closers: Closers }>;

export function serve(config: Config, { log, grpc, admin, health, closers }: Parts): App {
  let stopping: Promise<number> | undefined;
  let startFailed = false; // then stop() reports, and the process exits with, 1
  return {
    log,
    async start() {
      try {
        const { grpcPort, adminPort } = await listenBoth(config, grpc, admin);
        const report = await health.start();
        log.info(
          {
            grpc: `${config.grpc.host}:${grpcPort}`,
            admin: `${config.admin.host}:${adminPort}`,
            services: config.services,
            ready: report.ready,
          },
          'serving',
        );
        return { grpcPort, adminPort };
      } catch (error) {
        startFailed = true;
        throw error;
      }
    },
    stop() {
      stopping ??= (async () => {
        health.stop();
        // Let health watchers receive NOT_SERVING before their streams are ended.
        await new Promise((resolve) => setTimeout(resolve, config.shutdown.drainDelayMs));
        const { cut, reason } = await grpc.drain(config.shutdown.timeoutMs);
        await admin.close();
        const closed = await closers.closeAll(config.shutdown.closeTimeoutMs);
        const code = cut === 0 && closed && !startFailed ? 0 : 1;
        log.info({ drain: reason, calls_cut: cut, closed, exit_code: code }, 'stopped');
        log.flush();
        return code;
      })();
      return stopping;
    },
    force() {
      grpc.force();
    },
  };
}

async function listenBoth(config: Config, grpc: GrpcServer, admin: AdminServer) {
  const { grpc: g, admin: a } = config;
  await ensurePortFree('grpc.port', g.host, g.port);
  await ensurePortFree('admin.port', a.host, a.port);
  let grpcPort: number;
  try {
    grpcPort = await grpc.listen(g.host, g.port);
  } catch (error) {
    throw explainListenError(error, 'grpc.port', g.host, g.port);
  }
  try {
    return { grpcPort, adminPort: await admin.listen(a.host, a.port) };
  } catch (error) {
    throw explainListenError(error, 'admin.port', a.host, a.port);
  }
}
