// The gRPC clients the CLI talks through: one channel, with rich error details decoded so that
// INVALID_ARGUMENT can show its field violations.
import type { ChannelCredentials } from '@grpc/grpc-js';
import { createChannel, createClientFactory } from 'nice-grpc';
import { errorDetailsClientMiddleware } from 'nice-grpc-error-details';
import { HealthDefinition } from 'nice-grpc-server-health';
import { CatalogServiceDefinition } from '../gen/orderflow/catalog/v1/catalog_service.js';
import { ExportServiceDefinition } from '../gen/orderflow/exports/v1/export_service.js';
import { OrderServiceDefinition } from '../gen/orderflow/orders/v1/order_service.js';

export function connectClients(address: string, credentials?: ChannelCredentials) {
  const channel = createChannel(address, credentials);
  const factory = createClientFactory().use(errorDetailsClientMiddleware);
  return {
    orders: factory.create(OrderServiceDefinition, channel),
    catalog: factory.create(CatalogServiceDefinition, channel),
    exports: factory.create(ExportServiceDefinition, channel),
    health: factory.create(HealthDefinition, channel),
    close: () => channel.close(),
  };
}

export type CliClients = ReturnType<typeof connectClients>;
