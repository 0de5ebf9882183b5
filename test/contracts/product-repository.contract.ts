// The ProductRepository contract, run against every implementation.
import { describe, expect, test } from 'vitest';
import type { ProductRepository } from '../../src/domain/ports.js';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-02T00:00:00.000Z');
const eur = (amountMinor: bigint) => ({ currencyCode: 'EUR', amountMinor });

export function productRepositoryContract(name: string, open: () => Promise<ProductRepository>): void {
  describe(`ProductRepository contract: ${name}`, () => {
    test('get resolves undefined for an absent product', async () => {
      const products = await open();
      expect(await products.get('absent')).toBeUndefined();
    });

    test('upsert creates, then replaces name and price but keeps the creation time', async () => {
      const products = await open();
      const created = await products.upsert({ id: 'p1', name: 'First', price: eur(100n) }, t0);
      expect(created).toEqual({ id: 'p1', name: 'First', price: eur(100n), createTime: t0, updateTime: t0 });
      const replaced = await products.upsert({ id: 'p1', name: 'Second', price: eur(250n) }, t1);
      expect(replaced).toEqual({ id: 'p1', name: 'Second', price: eur(250n), createTime: t0, updateTime: t1 });
      expect(await products.get('p1')).toEqual(replaced);
    });

    test('amounts up to the int64 maximum round-trip exactly', async () => {
      const products = await open();
      await products.upsert({ id: 'big', name: 'Big', price: eur(2n ** 63n - 1n) }, t0);
      expect((await products.get('big'))?.price.amountMinor).toBe(2n ** 63n - 1n);
    });

    test('getMany returns the products that exist and skips the others', async () => {
      const products = await open();
      await products.upsert({ id: 'a', name: 'A', price: eur(1n) }, t0);
      await products.upsert({ id: 'b', name: 'B', price: eur(2n) }, t0);
      const found = await products.getMany(['b', 'missing', 'a']);
      expect(found.map((p) => p.id).sort()).toEqual(['a', 'b']);
      expect(await products.getMany([])).toEqual([]);
    });

    test('list pages ascending in byte order of ids', async () => {
      const products = await open();
      const ids = ['b', 'B', 'a', '1', 'a-b', 'a.b', 'a_b'];
      for (const id of ids) await products.upsert({ id, name: id, price: eur(1n) }, t0);
      const sorted = [...ids].sort();
      const first = await products.list({ afterId: '', limit: 4 });
      expect(first.map((p) => p.id)).toEqual(sorted.slice(0, 4));
      const rest = await products.list({ afterId: first.at(-1)?.id ?? '', limit: 10 });
      expect(rest.map((p) => p.id)).toEqual(sorted.slice(4));
    });
  });
}
