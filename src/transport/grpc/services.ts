// orderflow's gRPC methods (and health, reflection): the one place that knows which generated
// definitions this process serves.
import type { CatalogUseCases } from '../../domain/catalog-use-cases.js';
import type { ExportUseCases } from '../../domain/exports/export-use-cases.js';
import type { OrderUseCases } from '../../domain/order-use-cases.js';
import type { TextMapPropagator } from '@opentelemetry/api';
import { CatalogServiceDefinition } from '../../gen/orderflow/catalog/v1/catalog_service.js';
import { ExportServiceDefinition } from '../../gen/orderflow/exports/v1/export_service.js';
import { OrderServiceDefinition } from '../../gen/orderflow/orders/v1/order_service.js';
import type { Health } from '../../platform/health.js';
import { catalogService } from './catalog-service.js';
import { exportService } from './export-service.js';
import { HealthDefinition, healthService } from './health-service.js';
import { orderService } from './order-service.js';
import { reflectionService, ServerReflectionService, ServerReflectionV1AlphaService } from './reflection.js';
import { type MethodEntry, serviceMethods } from './service-methods.js';

/** What this process serves: a service is hosted when its use cases are given. */
export type ServiceDeps = Readonly<{
  orders: OrderUseCases | undefined;
  catalog: CatalogUseCases | undefined;
  /** The export API (with the orders service); its propagator stores each job's trace context. */
  exports?: Readonly<{ useCases: ExportUseCases; propagator: TextMapPropagator }> | undefined;
  health: Health;
  reflection: boolean;
  maxImportItems: number;
}>;

export function orderflowMethods(deps: ServiceDeps): MethodEntry[] {
  const methods: MethodEntry[] = [];
  const names: string[] = [];
  if (deps.orders !== undefined) {
    methods.push(...serviceMethods(OrderServiceDefinition, orderService(deps.orders, deps)));
    names.push(OrderServiceDefinition.fullName);
  }
  if (deps.exports !== undefined) {
    methods.push(...serviceMethods(ExportServiceDefinition, exportService(deps.exports.useCases, deps.exports.propagator)));
    names.push(ExportServiceDefinition.fullName);
  }
  if (deps.catalog !== undefined) {
    methods.push(...serviceMethods(CatalogServiceDefinition, catalogService(deps.catalog)));
    names.push(CatalogServiceDefinition.fullName);
  }
  methods.push(...serviceMethods(HealthDefinition, healthService(deps.health, names)));
  if (deps.reflection) {
    const reflection = reflectionService([...names, HealthDefinition.fullName]);
    methods.push(...serviceMethods(ServerReflectionService, reflection), ...serviceMethods(ServerReflectionV1AlphaService, reflection));
  }
  return methods;
}
