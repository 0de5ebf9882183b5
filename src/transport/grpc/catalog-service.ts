// grpc handlers for orderflow.catalog.v1.CatalogService: map, call one use case, map back.
import type { CatalogUseCases } from '../../domain/catalog-use-cases.js';
import { isProductId } from '../../domain/product.js';
import type { ServiceImplementation } from 'nice-grpc';
import type { CatalogServiceDefinition } from '../../gen/orderflow/catalog/v1/catalog_service.js';
import type { AppCallContext } from './server-call.js';
import { fromUpsertProductRequest, toProtoProduct } from './catalog-mapping.js';
import { decodePageToken, encodePageToken } from './page-token.js';

export function catalogService(catalog: CatalogUseCases): ServiceImplementation<typeof CatalogServiceDefinition, AppCallContext> {
  return {
    async upsertProduct(request, context) {
      return { product: toProtoProduct(await catalog.upsert(fromUpsertProductRequest(request), context)) };
    },
    async getProduct(request, context) {
      return { product: toProtoProduct(await catalog.get(request.id, context)) };
    },
    async batchGetProducts(request, context) {
      const { products, missingIds } = await catalog.batchGet(request.ids, context);
      return { products: products.map(toProtoProduct), missingIds };
    },
    async listProducts(request, context) {
      const afterId = decodePageToken(request.pageToken, '', isProductId);
      const page = await catalog.list({ pageSize: request.pageSize, afterId }, context);
      return { products: page.products.map(toProtoProduct), nextPageToken: encodePageToken(page.nextAfterId, '') };
    },
  };
}
