import { type CallScope, UNBOUNDED } from './call-scope.js';
import { invalidField, notFound, Violations } from './errors.js';
import { pageSize } from './paging.js';
import { describeProductIdRule, isProductId, type Product, type ProductInput, validateProductInput } from './product.js';
import type { Clock, ProductRepository } from './ports.js';

export const MAX_BATCH_GET = 1000;

export type CatalogDeps = Readonly<{ products: ProductRepository; now: Clock }>;

export function catalogUseCases({ products, now }: CatalogDeps) {
  return {
    async upsert(input: ProductInput, scope: CallScope = UNBOUNDED): Promise<Product> {
      const price = validateProductInput(input, 'product.');
      return products.upsert({ id: input.id, name: input.name.trim(), price }, now(), scope);
    },

    async get(id: string, scope: CallScope = UNBOUNDED): Promise<Product> {
      if (!isProductId(id)) throw invalidField('id', describeProductIdRule());
      const product = await products.get(id, scope);
      if (product === undefined) throw notFound('product', id);
      return product;
    },

    /** Found products in request order (first appearance), and the ids that match nothing. */
    async batchGet(ids: readonly string[], scope: CallScope = UNBOUNDED): Promise<{ products: Product[]; missingIds: string[] }> {
      const violations = new Violations();
      if (ids.length === 0 || ids.length > MAX_BATCH_GET) violations.add('ids', `must hold 1 to ${MAX_BATCH_GET} ids`);
      ids.slice(0, MAX_BATCH_GET).forEach((id, i) => {
        if (!isProductId(id)) violations.add(`ids[${i}]`, describeProductIdRule());
      });
      violations.throwIfAny();
      const unique = [...new Set(ids)];
      const found = new Map((await products.getMany(unique, scope)).map((p) => [p.id, p]));
      return {
        products: unique.flatMap((id) => found.get(id) ?? []),
        missingIds: unique.filter((id) => !found.has(id)),
      };
    },

    /** One page ascending by id; `nextAfterId` is '' on the last page. */
    async list(
      query: { pageSize: number; afterId: string },
      scope: CallScope = UNBOUNDED,
    ): Promise<{ products: Product[]; nextAfterId: string }> {
      const limit = pageSize(query.pageSize);
      const page = await products.list({ afterId: query.afterId, limit: limit + 1 }, scope);
      const more = page.length > limit;
      const items = more ? page.slice(0, limit) : page;
      return { products: items, nextAfterId: more ? (items.at(-1)?.id ?? '') : '' };
    },
  };
}

export type CatalogUseCases = ReturnType<typeof catalogUseCases>;
