// ProductCatalog answered by the catalog's own repository in this process: the default when
// orders and catalog are deployed together.
import type { ProductCatalog, ProductRepository } from '../domain/ports.js';
import type { Product } from '../domain/product.js';

export class InProcessProductCatalog implements ProductCatalog {
  constructor(private readonly products: ProductRepository) {}

  async findProducts(ids: readonly string[]): Promise<ReadonlyMap<string, Product>> {
    const found = await this.products.getMany(ids);
    return new Map(found.map((p) => [p.id, p]));
  }
}
