// Test data builders and deterministic seams.
import type { Order } from '../../src/domain/order.js';
import type { Product } from '../../src/domain/product.js';

export function fixedClock(start = Date.parse('2026-01-02T03:04:05.000Z')) {
  let now = start;
  const clock = () => new Date(now);
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}

/** UUIDv7-shaped, strictly increasing ids: 00000000-0000-7000-8000-000000000001, ... */
export function sequentialIds() {
  let n = 0;
  return () => `00000000-0000-7000-8000-${(++n).toString(16).padStart(12, '0')}`;
}

export function aProduct(overrides: Partial<Product> = {}): Product {
  const at = new Date('2026-01-01T00:00:00.000Z');
  return {
    id: 'espresso',
    name: 'Espresso',
    price: { currencyCode: 'EUR', amountMinor: 1250n },
    createTime: at,
    updateTime: at,
    ...overrides,
  };
}

export function anOrder(overrides: Partial<Order> = {}): Order {
  const at = new Date('2026-01-01T00:00:00.000Z');
  return {
    id: '00000000-0000-7000-8000-000000000001',
    customerId: 'customer-1',
    items: [{ productId: 'espresso', quantity: 2, unitPrice: { currencyCode: 'EUR', amountMinor: 1250n } }],
    total: { currencyCode: 'EUR', amountMinor: 2500n },
    status: 'PENDING',
    version: 1n,
    idempotencyKey: '',
    createTime: at,
    updateTime: at,
    ...overrides,
  };
}
