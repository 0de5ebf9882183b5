// ProductCatalog against every implementation (in-process, gRPC to a real catalog server, cached
// gRPC) and EventSignal against the in-process one.
import { afterAll, beforeAll } from 'vitest';
import { cachedProductCatalog } from '../../src/adapters/cached-product-catalog.js';
import { CATALOG_CLIENT_METHODS, GrpcProductCatalog } from '../../src/adapters/grpc/grpc-product-catalog.js';
import { createUnaryClient, type UnaryClient } from '../../src/adapters/grpc/grpc-unary-client.js';
import { InProcessProductCatalog } from '../../src/adapters/in-process-catalog.js';
import { LocalEventSignal } from '../../src/adapters/local-event-signal.js';
import { MemoryCache } from '../../src/adapters/memory/memory-cache.js';
import { MemoryProductRepository } from '../../src/adapters/memory/memory-store.js';
import { createGrpcMetrics } from '../../src/platform/grpc-metrics.js';
import { createMetricsRegistry } from '../../src/platform/metrics.js';
import { createTracing } from '../../src/platform/tracing.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { eventSignalContract } from './event-signal.contract.js';
import { productCatalogContract } from './product-catalog.contract.js';

const at = new Date('2026-01-01T00:00:00.000Z');
let remote: TestApp;
let client: UnaryClient;

beforeAll(async () => {
  remote = await startTestApp({
    config: {
      services: { orders: false },
      catalog: {
        seed: [
          { id: 'espresso', name: 'Espresso', price: { currencyCode: 'EUR', amountMinor: 1250 } },
          { id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400 } },
        ],
      },
    },
  });
  const { tracer, propagator } = createTracing(
    { sampleRatio: 0, exporters: [], batch: { scheduledDelayMs: 1000, maxQueueSize: 10, maxExportBatchSize: 10, exportTimeoutMs: 1000 } },
    { name: 'test', version: '0', environment: 'dev', instance: 'x' },
  );
  const metrics = createGrpcMetrics(createMetricsRegistry(), 'client', CATALOG_CLIENT_METHODS);
  client = createUnaryClient({
    address: remote.grpcAddress,
    timeoutMs: 30_000,
    maxAttempts: 2,
    initialBackoffMs: 10,
    maxBackoffMs: 50,
    tracer,
    propagator,
    metrics,
  });
});

afterAll(async () => {
  client.close();
  await remote.stop();
});

productCatalogContract('in-process', async () => {
  const products = new MemoryProductRepository();
  await products.upsert({ id: 'espresso', name: 'Espresso', price: { currencyCode: 'EUR', amountMinor: 1250n } }, at);
  await products.upsert({ id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400n } }, at);
  return new InProcessProductCatalog(products);
});
productCatalogContract('gRPC client of a remote catalog', () => Promise.resolve(new GrpcProductCatalog(client)));
productCatalogContract('cached gRPC client', () =>
  Promise.resolve(
    cachedProductCatalog(new GrpcProductCatalog(client), new MemoryCache({ maxEntries: 100 }), {
      ttlMs: 60_000,
      observer: { hit() {}, miss() {}, error() {} },
    }),
  ),
);

eventSignalContract('in-process', () => {
  const signal = new LocalEventSignal();
  return Promise.resolve({ signal, committed: (sequence: bigint) => signal.notify(sequence) });
});
