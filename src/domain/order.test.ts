import { describe, expect, test } from 'vitest';
import { aProduct, anOrder } from '../../test/support/builders.js';
import { DomainError } from './errors.js';
import { canMove, changeStatus, ORDER_STATUSES, priceItems, sameItems, validateNewOrder } from './order.js';

const later = new Date('2026-02-01T00:00:00.000Z');

function violationsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.violations.map((v) => v.field);
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('status state machine', () => {
  test('allows exactly the documented moves', () => {
    const legal = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.filter((to) => canMove(from, to)).map((to) => `${from}->${to}`));
    expect(legal.sort()).toEqual(['PAID->CANCELLED', 'PAID->SHIPPED', 'PENDING->CANCELLED', 'PENDING->PAID', 'SHIPPED->DELIVERED']);
  });

  test('changeStatus moves the order and bumps its version and update time', () => {
    const paid = changeStatus(anOrder(), 'PAID', 0n, later);
    expect(paid).toMatchObject({ status: 'PAID', version: 2n, updateTime: later });
  });

  test('changeStatus rejects an illegal move with ILLEGAL_STATE naming both statuses', () => {
    expect(() => changeStatus(anOrder({ status: 'SHIPPED' }), 'CANCELLED', 0n, later)).toThrow(
      expect.objectContaining({ code: 'ILLEGAL_STATE', message: expect.stringMatching(/SHIPPED to CANCELLED/) }),
    );
    expect(() => changeStatus(anOrder({ status: 'DELIVERED' }), 'PAID', 0n, later)).toThrow(/DELIVERED is final/);
  });

  test('changeStatus checks the expected version before the transition', () => {
    expect(() => changeStatus(anOrder({ version: 3n }), 'PAID', 2n, later)).toThrow(expect.objectContaining({ code: 'VERSION_CONFLICT' }));
    expect(changeStatus(anOrder({ version: 3n }), 'PAID', 3n, later).version).toBe(4n);
  });
});

describe('validateNewOrder', () => {
  const valid = { customerId: 'c1', items: [{ productId: 'espresso', quantity: 1 }], idempotencyKey: '' };

  test('accepts a well-formed order', () => {
    expect(() => validateNewOrder(valid)).not.toThrow();
  });

  test('names every offending field, with the given prefix', () => {
    const fields = violationsOf(() =>
      validateNewOrder(
        {
          customerId: '',
          items: [
            { productId: '', quantity: 0 },
            { productId: 'a', quantity: 10_001 },
            { productId: 'a', quantity: 1 },
          ],
          idempotencyKey: 'x'.repeat(129),
        },
        'order.',
      ),
    );
    expect(fields).toEqual([
      'order.customer_id',
      'order.idempotency_key',
      'order.items[0].product_id',
      'order.items[0].quantity',
      'order.items[1].quantity',
      'order.items[2].product_id',
    ]);
  });

  test('requires 1 to 100 items', () => {
    expect(violationsOf(() => validateNewOrder({ ...valid, items: [] }))).toEqual(['items']);
    const many = Array.from({ length: 101 }, (_, i) => ({ productId: `p${i}`, quantity: 1 }));
    expect(violationsOf(() => validateNewOrder({ ...valid, items: many }))).toEqual(['items']);
  });

  test('rejects control characters in ids', () => {
    expect(violationsOf(() => validateNewOrder({ ...valid, customerId: 'a\u0000b' }))).toEqual(['customer_id']);
  });
});

describe('priceItems', () => {
  const products = new Map([
    ['espresso', aProduct()],
    ['cup', aProduct({ id: 'cup', price: { currencyCode: 'EUR', amountMinor: 400n } })],
    ['tea', aProduct({ id: 'tea', price: { currencyCode: 'USD', amountMinor: 900n } })],
  ]);

  test('prices items from the catalog and sums the total in minor units', () => {
    const priced = priceItems(
      {
        customerId: 'c',
        idempotencyKey: '',
        items: [
          { productId: 'espresso', quantity: 3 },
          { productId: 'cup', quantity: 2 },
        ],
      },
      products,
    );
    expect(priced.total).toEqual({ currencyCode: 'EUR', amountMinor: 4550n });
    expect(priced.items.map((i) => i.unitPrice.amountMinor)).toEqual([1250n, 400n]);
  });

  test('rejects unknown products and mixed currencies, naming the item', () => {
    const fields = violationsOf(() =>
      priceItems(
        {
          customerId: 'c',
          idempotencyKey: '',
          items: [
            { productId: 'espresso', quantity: 1 },
            { productId: 'nope', quantity: 1 },
            { productId: 'tea', quantity: 1 },
          ],
        },
        products,
      ),
    );
    expect(fields).toEqual(['items[1].product_id', 'items[2].product_id']);
  });

  test('rejects a total beyond int64', () => {
    const huge = new Map([['gold', aProduct({ id: 'gold', price: { currencyCode: 'EUR', amountMinor: 2n ** 62n } })]]);
    expect(
      violationsOf(() => priceItems({ customerId: 'c', idempotencyKey: '', items: [{ productId: 'gold', quantity: 2 }] }, huge)),
    ).toEqual(['items']);
  });
});

test('sameItems compares product ids and quantities, ignoring order', () => {
  const order = anOrder({
    items: [
      { productId: 'a', quantity: 1, unitPrice: { currencyCode: 'EUR', amountMinor: 1n } },
      { productId: 'b', quantity: 2, unitPrice: { currencyCode: 'EUR', amountMinor: 1n } },
    ],
  });
  expect(
    sameItems(order, {
      customerId: 'c',
      idempotencyKey: 'k',
      items: [
        { productId: 'b', quantity: 2 },
        { productId: 'a', quantity: 1 },
      ],
    }),
  ).toBe(true);
  expect(
    sameItems(order, {
      customerId: 'c',
      idempotencyKey: 'k',
      items: [
        { productId: 'a', quantity: 1 },
        { productId: 'b', quantity: 3 },
      ],
    }),
  ).toBe(false);
});
