// The generic gRPC server shell: grpc-js with limits from config, every method run by the call
// pipeline, and an honest drain. It knows no service: callers pass the methods (service-methods.ts)
// and the scope table. A drain stops accepting, ends long streams cleanly, waits for in-flight
// calls up to a deadline with no keepalive or connection-age timer cutting them meanwhile, then
// ends what is left with UNAVAILABLE (each with its access-log line) and closes the connections.
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import type { ServerHttp2Session } from 'node:http2';
import type { Logger } from '../../platform/logger.js';
import { type AdmissionDeps, createAdmission } from './call-admission.js';
import { createCallPipeline, type PipelineMethod, type Timeouts } from './call-pipeline.js';
import { methodTelemetry, NO_TELEMETRY, type TelemetryDeps } from './call-telemetry.js';
import { handlerKind, placeholderHandler, REQUIRED_SERVER_OPTIONS, stopConnectionTimers, trackSessions } from './grpc-js-internals.js';
import type { MethodEntry } from './service-methods.js';
import { serverCredentials, type TlsConfig } from './tls.js';

export type GrpcServerConfig = Readonly<{
  tls: TlsConfig;
  maxReceiveMessageBytes: number;
  maxSendMessageBytes: number;
  maxConcurrentStreams: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  maxConnectionIdleMs: number;
  maxConnectionAgeMs: number;
  maxConnectionAgeGraceMs: number;
}>;

export type GrpcServerDeps = Readonly<{
  log: Logger;
  /** Spans, metrics and the access log per call; undefined switches them off (to measure their cost). */
  telemetry: TelemetryDeps | undefined;
  admission: AdmissionDeps;
  timeouts: Timeouts;
}>;

/** How a drain ended: `cut` calls were still running at its end and got UNAVAILABLE. */
export type DrainResult = Readonly<{ cut: number; reason: 'drained' | 'timeout' | 'forced' }>;

export type GrpcServer = {
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting, ends streams, waits up to `timeoutMs` for calls to finish, then cuts the rest. */
  drain(timeoutMs: number): Promise<DrainResult>;
  /** Ends a drain now (a second signal): what is still running is cut. */
  force(): void;
};

/** After the cut, how long connections get to deliver the final statuses before they are destroyed. */
const CLOSE_GRACE_MS = 1000;

export function channelOptions(config: GrpcServerConfig) {
  return {
    'grpc.max_receive_message_length': config.maxReceiveMessageBytes,
    'grpc.max_send_message_length': config.maxSendMessageBytes,
    'grpc.max_concurrent_streams': config.maxConcurrentStreams,
    'grpc.keepalive_time_ms': config.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': config.keepaliveTimeoutMs,
    'grpc.max_connection_idle_ms': config.maxConnectionIdleMs,
    'grpc.max_connection_age_ms': config.maxConnectionAgeMs,
    'grpc.max_connection_age_grace_ms': config.maxConnectionAgeGraceMs,
    ...REQUIRED_SERVER_OPTIONS,
  };
}

export function createGrpcServer(config: GrpcServerConfig, deps: GrpcServerDeps, entries: readonly MethodEntry[]): GrpcServer {
  const { log, telemetry } = deps;
  const methods = new Map<string, PipelineMethod>(
    entries.map((e) => [e.path, { ...e, telemetry: telemetry === undefined ? NO_TELEMETRY : methodTelemetry(telemetry, e) }]),
  );
  const pipeline = createCallPipeline(methods, {
    admit: createAdmission(deps.admission),
    timeouts: deps.timeouts,
    log,
    traced: telemetry !== undefined,
  });
  const server = new Server({ ...channelOptions(config), interceptors: [pipeline.interceptor] });
  for (const e of entries)
    server.register(e.path, placeholderHandler, e.serialize, e.deserialize, handlerKind(e.requestStream, e.responseStream));
  let sessions = new Set<ServerHttp2Session>();
  let forced: () => void = () => {};
  const whenForced = new Promise<'forced'>((resolve) => (forced = () => resolve('forced')));

  async function closeConnections(): Promise<void> {
    if (sessions.size === 0) return;
    for (const session of sessions) session.close();
    // Not unref'd: this wait is part of the stop, which the process is waiting for.
    await new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
    for (const session of sessions) session.destroy();
  }

  return {
    async listen(host, port) {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const credentials: ServerCredentials = await serverCredentials(config.tls);
      const bound = await new Promise<number>((resolve, reject) =>
        server.bindAsync(address, credentials, (error, p) => (error === null ? resolve(p) : reject(error))),
      );
      sessions = trackSessions(server);
      return bound;
    },

    async drain(timeoutMs) {
      stopConnectionTimers(server);
      server.tryShutdown(() => {});
      pipeline.terminateStreams();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const reason = await Promise.race([pipeline.whenIdle().then(() => 'drained' as const), timedOut, whenForced]);
      clearTimeout(timer);
      let cut = 0;
      if (reason !== 'drained') {
        const open = pipeline.openCalls();
        const why = reason === 'timeout' ? `still running after the shutdown timeout (${timeoutMs} ms)` : 'still running at a forced stop';
        log.warn({ calls: open, timeout_ms: timeoutMs, reason }, `${open} call(s) ${why}; ending them with UNAVAILABLE`);
        cut = pipeline.cutAll('the server is shutting down; retry the call');
      }
      await closeConnections();
      return { cut, reason };
    },

    force() {
      forced();
    },
  };
}
