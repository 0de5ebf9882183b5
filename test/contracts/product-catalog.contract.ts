// The ProductCatalog contract (what orders needs from the catalog), run against the in-process
// adapter, the gRPC client of a real remote catalog, and the cached gRPC client.
import { describe, expect, test } from 'vitest';
import type { ProductCatalog } from '../../src/domain/ports.js';

/** `open` gives a catalog whose products are exactly `espresso` (EUR 1250) and `cup` (EUR 400). */
export function productCatalogContract(name: string, open: () => Promise<ProductCatalog>): void {
  describe(`ProductCatalog contract: ${name}`, () => {
    test('finds the products that exist, keyed by id, with their prices', async () => {
      const catalog = await open();
      const found = await catalog.findProducts(['cup', 'espresso']);
      expect([...found.keys()].sort()).toEqual(['cup', 'espresso']);
      expect(found.get('cup')).toMatchObject({ id: 'cup', price: { currencyCode: 'EUR', amountMinor: 400n } });
      expect(found.get('espresso')?.createTime).toBeInstanceOf(Date);
    });

    test('skips ids that match nothing; no ids, no products', async () => {
      const catalog = await open();
      expect([...(await catalog.findProducts(['cup', 'nothing-here'])).keys()]).toEqual(['cup']);
      expect((await catalog.findProducts([])).size).toBe(0);
    });

    test('answers the same twice (a cache in front must not change the answer)', async () => {
      const catalog = await open();
      const first = await catalog.findProducts(['espresso', 'ghost']);
      const second = await catalog.findProducts(['espresso', 'ghost']);
      expect(second).toEqual(first);
    });
  });
}
