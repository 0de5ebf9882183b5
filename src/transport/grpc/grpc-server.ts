// The gRPC server: grpc-js limits from config, the access-log interceptor and the standard
// middleware, and a drain that ends long streams, waits for in-flight calls up to a deadline and
// then cancels what is left. Knows no service: callers add them through `add`.
import { createServer, type Server } from 'nice-grpc';
import { errorDetailsServerMiddleware } from 'nice-grpc-error-details';
import { type AuthContext, type AuthorizationDeps, authorizationMiddleware } from './authorization.js';
import { contextMiddleware } from './call-context.js';
import { createTerminator, errorMiddleware, type TerminatorContext } from './call-middleware.js';
import { createCallRegistry } from './call-registry.js';
import { type DeadlineDefaults, serverInterceptor, type ServerTelemetry } from './server-telemetry.js';
import { malformedRequests } from './strict-decoding.js';
import { serverCredentials, type TlsConfig } from './tls.js';

export type GrpcServerConfig = Readonly<{
  callTelemetry: boolean;
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

export type AppGrpcServer = Server<TerminatorContext & AuthContext>;

export type GrpcServerDeps = Readonly<{
  telemetry: ServerTelemetry;
  auth: Omit<AuthorizationDeps, 'calls'>;
  deadlines: DeadlineDefaults;
}>;

export type GrpcServer = {
  listen(host: string, port: number): Promise<number>;
  /** Ends streams, waits up to `timeoutMs` for calls to finish; resolves false if it had to cancel some. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Stops accepting and ends the drain at once; calls still open end with the process. */
  force(): void;
};

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
    'grpc.enable_channelz': 0,
  };
}

export function createGrpcServer(config: GrpcServerConfig, deps: GrpcServerDeps, add: (server: AppGrpcServer) => void): GrpcServer {
  const { telemetry, auth, deadlines } = deps;
  const { log } = telemetry;
  const terminator = createTerminator();
  const calls = createCallRegistry();
  const interceptor = serverInterceptor({ telemetry: config.callTelemetry ? telemetry : undefined, calls, deadlines });
  const server = createServer({ ...channelOptions(config), interceptors: [interceptor] })
    .use(contextMiddleware(telemetry.propagator, calls))
    .use(errorDetailsServerMiddleware)
    .use(errorMiddleware(log))
    .use(authorizationMiddleware({ ...auth, calls }))
    .use(malformedRequests)
    .use(terminator.middleware);
  add(server);
  // grpc-js' forceShutdown closes the listener but, with channelz off, does not destroy open
  // connections (it only tracks them for channelz; grpc-js 1.14.7). So a forced stop does not
  // wait for them: the drain ends at once and the process exit closes what is left.
  let forced: () => void = () => {};
  const whenForced = new Promise<false>((resolve) => (forced = () => resolve(false)));

  return {
    listen(host, port) {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return serverCredentials(config.tls).then((credentials) => server.listen(address, credentials));
    },

    async drain(timeoutMs) {
      terminator.terminate();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const drained = await Promise.race([server.shutdown().then(() => true as const), timedOut, whenForced]);
      clearTimeout(timer);
      if (!drained) {
        log.warn({ timeout_ms: timeoutMs }, 'calls still running after the shutdown timeout; cancelling them');
        server.forceShutdown();
      }
      return drained;
    },

    force() {
      server.forceShutdown();
      forced();
    },
  };
}
