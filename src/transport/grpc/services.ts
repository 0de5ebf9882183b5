// Registers orderflow's gRPC services (and health, reflection) on a server: the one place that
// knows which generated definitions the transport serves.
import type { CatalogUseCases } from '../../domain/catalog-use-cases.js';
import type { OrderUseCases } from '../../domain/order-use-cases.js';
import { CatalogServiceDefinition } from '../../gen/orderflow/catalog/v1/catalog_service.js';
import { OrderServiceDefinition } from '../../gen/orderflow/orders/v1/order_service.js';
import { type GrpcMethod, grpcType } from '../../platform/grpc-metrics.js';
import type { Health } from '../../platform/health.js';
import { catalogService } from './catalog-service.js';
import type { AppGrpcServer } from './grpc-server.js';
import { HealthDefinition, healthService } from './health-service.js';
import { orderService } from './order-service.js';
import { reflectionService, ServerReflectionService, ServerReflectionV1AlphaService } from './reflection.js';
import { strictlyDecoded } from './strict-decoding.js';

/** What this process serves: a service is hosted when its use cases are given. */
export type ServiceDeps = Readonly<{
  orders: OrderUseCases | undefined;
  catalog: CatalogUseCases | undefined;
  health: Health;
  reflection: boolean;
  maxImportItems: number;
}>;

type Definition = { fullName: string; methods: Record<string, { name: string; requestStream: boolean; responseStream: boolean }> };

function hosted(deps: Pick<ServiceDeps, 'orders' | 'catalog'>): Definition[] {
  return [...(deps.orders === undefined ? [] : [OrderServiceDefinition]), ...(deps.catalog === undefined ? [] : [CatalogServiceDefinition])];
}

const REFLECTION_METHODS: GrpcMethod[] = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'].map((service) => ({
  service,
  method: 'ServerReflectionInfo',
  type: 'bidi_stream',
}));

/** Every method the server will serve, for metrics created up front. */
export function servedMethods(deps: Pick<ServiceDeps, 'orders' | 'catalog' | 'reflection'>): GrpcMethod[] {
  const definitions: Definition[] = [...hosted(deps), HealthDefinition];
  const methods = definitions.flatMap((d) => Object.values(d.methods).map((m) => ({ service: d.fullName, method: m.name, type: grpcType(m) })));
  return deps.reflection ? [...methods, ...REFLECTION_METHODS] : methods;
}

export function addServices(server: AppGrpcServer, deps: ServiceDeps): void {
  if (deps.orders !== undefined) server.add(strictlyDecoded(OrderServiceDefinition), orderService(deps.orders, deps));
  if (deps.catalog !== undefined) server.add(strictlyDecoded(CatalogServiceDefinition), catalogService(deps.catalog));
  const names = hosted(deps).map((d) => d.fullName);
  server.add(HealthDefinition, healthService(deps.health, names));
  if (deps.reflection) {
    const reflection = reflectionService([...names, HealthDefinition.fullName]);
    server.add(ServerReflectionService, reflection);
    server.add(ServerReflectionV1AlphaService, reflection);
  }
}
