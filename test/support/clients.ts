// Real gRPC clients (nice-grpc over HTTP/2) for tests, with rich error details decoded.
import { type Channel, createChannel, createClientFactory } from 'nice-grpc';
import { deadlineMiddleware } from 'nice-grpc-client-middleware-deadline';
import { errorDetailsClientMiddleware } from 'nice-grpc-error-details';
import { HealthDefinition } from 'nice-grpc-server-health';
import { CatalogServiceDefinition } from '../../src/gen/orderflow/catalog/v1/catalog_service.js';
import { ExportServiceDefinition } from '../../src/gen/orderflow/exports/v1/export_service.js';
import { OrderServiceDefinition } from '../../src/gen/orderflow/orders/v1/order_service.js';

export function connect(address: string) {
  const channel: Channel = createChannel(address);
  const factory = createClientFactory().use(errorDetailsClientMiddleware).use(deadlineMiddleware);
  return {
    channel,
    orders: factory.create(OrderServiceDefinition, channel),
    catalog: factory.create(CatalogServiceDefinition, channel),
    exports: factory.create(ExportServiceDefinition, channel),
    health: factory.create(HealthDefinition, channel),
    close: () => channel.close(),
  };
}

export type Clients = ReturnType<typeof connect>;
