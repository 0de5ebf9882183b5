// ProductCatalog answered by a remote CatalogService over gRPC (BatchGetProducts): used when
// orders and catalog run in different processes.
import { type ServiceError, status as Status } from '@grpc/grpc-js';
import { type CallScope, UNBOUNDED } from '../../domain/call-scope.js';
import { DomainError } from '../../domain/errors.js';
import type { ProductCatalog } from '../../domain/ports.js';
import type { Product } from '../../domain/product.js';
import {
  BatchGetProductsRequest,
  BatchGetProductsResponse,
  CatalogServiceDefinition,
  type Product as ProtoProduct,
} from '../../gen/orderflow/catalog/v1/catalog_service.js';
import type { Timestamp } from '../../gen/google/protobuf/timestamp.js';
import type { UnaryClient, UnaryMethod } from './grpc-unary-client.js';

const BATCH_GET: UnaryMethod<BatchGetProductsRequest, BatchGetProductsResponse> = {
  path: `/${CatalogServiceDefinition.fullName}/${CatalogServiceDefinition.methods.batchGetProducts.name}`,
  encode: (request) => BatchGetProductsRequest.encode(request).finish(),
  decode: (bytes) => BatchGetProductsResponse.decode(bytes),
};

/** Every method of the remote service, for pre-created client metrics. */
export const CATALOG_CLIENT_METHODS = Object.values(CatalogServiceDefinition.methods).map((m) => ({
  service: CatalogServiceDefinition.fullName,
  method: m.name,
  type: 'unary' as const,
}));

function toDate(timestamp: Timestamp | undefined): Date {
  return new Date(Number(timestamp?.seconds ?? 0n) * 1000 + Math.floor((timestamp?.nanos ?? 0) / 1e6));
}

function fromProtoProduct(product: ProtoProduct): Product {
  return {
    id: product.id,
    name: product.name,
    price: { currencyCode: product.price?.currencyCode ?? '', amountMinor: product.price?.amountMinor ?? 0n },
    createTime: toDate(product.createTime),
    updateTime: toDate(product.updateTime),
  };
}

export class GrpcProductCatalog implements ProductCatalog {
  constructor(private readonly client: UnaryClient) {}

  async findProducts(ids: readonly string[], scope: CallScope = UNBOUNDED): Promise<ReadonlyMap<string, Product>> {
    if (ids.length === 0) return new Map();
    try {
      const response = await this.client.call(BATCH_GET, BatchGetProductsRequest.fromPartial({ ids: [...ids] }), scope);
      return new Map(response.products.map((p) => [p.id, fromProtoProduct(p)]));
    } catch (error) {
      if (scope.signal.aborted) throw error;
      // The catalog's DEADLINE_EXCEEDED at the caller's own deadline is the caller's deadline.
      if (Date.now() >= scope.deadline - 50)
        throw new DomainError('DEADLINE_EXCEEDED', 'the deadline passed while waiting for the product catalog', [], { cause: error });
      // Down, overloaded or too slow: the caller may retry. Anything else (refused credentials,
      // a bug) is not fixed by retrying and stays an internal error, logged with its cause.
      const code = (error as Partial<ServiceError>).code;
      if (code !== Status.UNAVAILABLE && code !== Status.DEADLINE_EXCEEDED && code !== Status.RESOURCE_EXHAUSTED) throw error;
      const details = (error as Partial<ServiceError>).details ?? String(error);
      throw new DomainError('UNAVAILABLE', 'the product catalog is unavailable; retry later', [], {
        cause: new Error(details, { cause: error }),
      });
    }
  }
}
