// Catalog proto messages to and from domain values. No logic beyond the mapping.
import type { Product } from '../../domain/product.js';
import type { ProductInput } from '../../domain/product.js';
import type { Product as ProtoProduct, UpsertProductRequest } from '../../gen/orderflow/catalog/v1/catalog_service.js';
import { fromProtoMoney, toProtoMoney, toTimestamp } from './proto-values.js';

export function toProtoProduct(product: Product): ProtoProduct {
  return {
    id: product.id,
    name: product.name,
    price: toProtoMoney(product.price),
    createTime: toTimestamp(product.createTime),
    updateTime: toTimestamp(product.updateTime),
  };
}

export function fromUpsertProductRequest(request: UpsertProductRequest): ProductInput {
  const product = request.product;
  return { id: product?.id ?? '', name: product?.name ?? '', price: fromProtoMoney(product?.price) };
}
