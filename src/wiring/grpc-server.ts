// orderflow's gRPC server: the generic server shell with orderflow's methods, scope table,
// authentication, rate limit, deadlines and per-call telemetry, all from config.
import type { Config } from '../config.js';
import type { CatalogUseCases } from '../domain/catalog-use-cases.js';
import type { OrderUseCases } from '../domain/order-use-cases.js';
import type { Clock } from '../domain/ports.js';
import { createAuthenticator } from '../platform/auth/authenticator.js';
import { createGrpcMetrics } from '../platform/grpc-metrics.js';
import type { Health } from '../platform/health.js';
import { createRateLimiter } from '../platform/rate-limiter.js';
import { createGrpcServer, type GrpcServer } from '../transport/grpc/grpc-server.js';
import { DEV_PRINCIPAL, METHOD_SCOPES } from '../transport/grpc/orderflow-scopes.js';
import { orderflowMethods, type ServiceDeps } from '../transport/grpc/services.js';
import type { Telemetry } from './telemetry.js';

export type Served = Readonly<{
  orders: OrderUseCases | undefined;
  catalog: CatalogUseCases | undefined;
  health: Health;
  exports?: ServiceDeps['exports'];
}>;

export function createOrderflowGrpcServer(config: Config, telemetry: Telemetry, served: Served, now: Clock): GrpcServer {
  const { limits } = config;
  const methods = orderflowMethods({ ...served, reflection: config.grpc.reflection, maxImportItems: limits.maxImportItems });
  return createGrpcServer(
    config.grpc,
    {
      log: telemetry.log,
      telemetry: config.grpc.callTelemetry
        ? { ...telemetry, metrics: createGrpcMetrics(telemetry.registry, 'server', []), accessLog: config.log.accessLog }
        : undefined,
      admission: {
        scopes: METHOD_SCOPES,
        authenticate: config.auth.enabled ? createAuthenticator(config.auth, { now: () => now().getTime() }) : undefined,
        anonymous: DEV_PRINCIPAL,
        limit: createRateLimiter({ ratePerSecond: limits.ratePerSecond, burst: limits.rateBurst }),
      },
      timeouts: {
        defaultDeadlineMs: limits.defaultDeadlineMs,
        methodDeadlinesMs: limits.methodDeadlinesMs,
        streamIdleMs: limits.streamIdleTimeoutMs,
      },
    },
    methods,
  );
}
