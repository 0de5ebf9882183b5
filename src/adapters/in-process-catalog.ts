// ProductCatalog answered by the catalog's own repository in this process: the default when
// orders and catalog are deployed together.
import type { CallScope } from '../domain/call-scope.js';
import type { ProductCatalog, ProductRepository } from '../domain/ports.js';
import type { Product } from '../domain/product.js';

export class InProcessProductCatalog implements ProductCatalog {
  constructor(private readonly products: ProductRepository) {}

  async findProducts(ids: readonly string[], scope?: CallScope): Promise<ReadonlyMap<string, Product>> {
    const found = await this.products.getMany(ids, scope);
    return new Map(found.map((p) => [p.id, p]));
  }
}
