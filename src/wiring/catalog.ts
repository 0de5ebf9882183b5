// Where orders find products: the catalog's own repository when this process hosts it, otherwise
// a cached gRPC client of the remote catalog (its API key, TLS and load balancing from config);
// and the dev seed of the catalog.
import { readFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import { CATALOG_CLIENT_METHODS, GrpcProductCatalog } from '../adapters/grpc/grpc-product-catalog.js';
import { createUnaryClient } from '../adapters/grpc/grpc-unary-client.js';
import { InProcessProductCatalog } from '../adapters/in-process-catalog.js';
import type { Store } from '../adapters/store.js';
import type { Config } from '../config.js';
import type { CatalogUseCases } from '../domain/catalog-use-cases.js';
import { DomainError } from '../domain/errors.js';
import type { ProductCatalog } from '../domain/ports.js';
import { ConfigError } from '../platform/config.js';
import { createGrpcMetrics } from '../platform/grpc-metrics.js';
import type { Closers } from '../platform/lifecycle.js';
import type { Caching } from './cache.js';
import type { Telemetry } from './telemetry.js';

export function productCatalog(config: Config, store: Store, telemetry: Telemetry, closers: Closers, caching: Caching): ProductCatalog {
  const remote = config.catalog.remote;
  if (config.services.catalog || remote === undefined) return new InProcessProductCatalog(store.products);
  const client = createUnaryClient({
    ...remote,
    ...telemetry,
    ...remoteCredentials(remote),
    metrics: createGrpcMetrics(telemetry.registry, 'client', CATALOG_CLIENT_METHODS),
    onRetry: ({ path, attempt, backoffMs, error }) =>
      telemetry.log.warn({ path, attempt, backoff_ms: backoffMs, err: error }, 'catalog call failed; retrying'),
  });
  closers.add('catalog client', () => Promise.resolve(client.close()));
  return caching.products(new GrpcProductCatalog(client), { ttlMs: remote.cacheTtlMs, maxEntries: remote.cacheMaxEntries });
}

function remoteCredentials(remote: NonNullable<Config['catalog']['remote']>) {
  const { tls, apiKey } = remote;
  const read = (file: string | undefined) => (file === undefined ? null : readFileSync(file));
  return {
    credentials: tls.enabled
      ? credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile))
      : credentials.createInsecure(),
    channelOptions: tls.serverName === undefined ? {} : { 'grpc.ssl_target_name_override': tls.serverName },
    metadata: apiKey === undefined ? {} : { 'x-api-key': apiKey.reveal() },
  };
}

/** Upserts catalog.seed (a dev convenience); an invalid entry is a configuration error. */
export async function seedCatalog(catalog: CatalogUseCases, config: Config): Promise<void> {
  for (const [i, product] of config.catalog.seed.entries()) {
    try {
      await catalog.upsert({
        ...product,
        price: { currencyCode: product.price.currencyCode, amountMinor: BigInt(product.price.amountMinor) },
      });
    } catch (error) {
      if (error instanceof DomainError) throw new ConfigError(`catalog.seed[${i}] is not a valid product: ${error.message}`);
      throw error;
    }
  }
}
