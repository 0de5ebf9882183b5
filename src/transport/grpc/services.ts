// Registers orderflow's gRPC services (and health, reflection) on a server: the one place that
// knows which generated definitions the transport serves.
import type { CatalogUseCases } from '../../domain/catalog-use-cases.js';
import type { OrderUseCases } from '../../domain/order-use-cases.js';
import { CatalogServiceDefinition } from '../../gen/orderflow/catalog/v1/catalog_service.js';
import { OrderServiceDefinition } from '../../gen/orderflow/orders/v1/order_service.js';
import type { Health } from '../../platform/health.js';
import { catalogService } from './catalog-service.js';
import type { AppGrpcServer } from './grpc-server.js';
import { HealthDefinition, healthService } from './health-service.js';
import { orderService } from './order-service.js';
import { reflectionService, ServerReflectionService, ServerReflectionV1AlphaService } from './reflection.js';

export const SERVICE_NAMES = [OrderServiceDefinition.fullName, CatalogServiceDefinition.fullName] as const;

export type ServiceDeps = Readonly<{
  orders: OrderUseCases;
  catalog: CatalogUseCases;
  health: Health;
  reflection: boolean;
}>;

export function addServices(server: AppGrpcServer, deps: ServiceDeps): void {
  server.add(OrderServiceDefinition, orderService(deps.orders));
  server.add(CatalogServiceDefinition, catalogService(deps.catalog));
  server.add(HealthDefinition, healthService(deps.health, SERVICE_NAMES));
  if (deps.reflection) {
    const reflection = reflectionService([...SERVICE_NAMES, HealthDefinition.fullName]);
    server.add(ServerReflectionService, reflection);
    server.add(ServerReflectionV1AlphaService, reflection);
  }
}
