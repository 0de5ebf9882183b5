// The OrderPageEncoder contract: whatever runs the encoders (this event loop, a pool of worker
// threads), a page's bytes are the reference encoders' records as UTF-8, the header is theirs,
// and so a file of header + pages has the same bytes and the same SHA-256. Pages encoded at once
// come back each to its own caller. The orders exercise what a copy into a thread could lose:
// bigints past 2^53, Date milliseconds, quoting, non-ASCII text, empty strings, no items.
import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import { ORDER_ENCODERS } from '../../src/adapters/export-encoders.js';
import { EXPORT_FORMATS } from '../../src/domain/exports/export-job.js';
import type { Order } from '../../src/domain/order.js';
import type { OrderPageEncoder } from '../../src/domain/ports.js';
import { anOrder } from '../support/builders.js';

export function variedOrders(count: number, seed = 0): Order[] {
  return Array.from({ length: count }, (_, n) => {
    const i = n + seed;
    const at = new Date(Date.UTC(2026, 0, 1) + i * 1_001 + (i % 1000));
    return anOrder({
      id: `01900000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
      customerId: [`customer-${i}`, 'acme, "north"\r\nbranch', 'Zoë — 東京 🚀', ''][i % 4] as string,
      status: (['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const)[i % 5] as Order['status'],
      version: i % 3 === 0 ? 0n : BigInt(i) * 2n ** 40n,
      idempotencyKey: i % 2 === 0 ? '' : `key-${i}`,
      items: Array.from({ length: i % 4 }, (_, k) => ({
        productId: k === 1 ? 'a,b"c' : `product-${k}`,
        quantity: k === 2 ? 0 : k + 1,
        unitPrice: { currencyCode: k === 2 ? '' : 'EUR', amountMinor: k === 0 ? 2n ** 62n + BigInt(i) : BigInt(k * 7) },
      })),
      total: { currencyCode: i % 7 === 0 ? '' : 'JPY', amountMinor: i % 5 === 0 ? 0n : 2n ** 60n + BigInt(i) },
      createTime: at,
      updateTime: new Date(at.getTime() + 999),
    });
  });
}

const utf8 = new TextEncoder();
const reference = (format: (typeof EXPORT_FORMATS)[number], orders: readonly Order[]) =>
  utf8.encode(orders.map((o) => ORDER_ENCODERS[format].encode(o)).join(''));

export function orderPageEncoderContract(name: string, open: () => Promise<{ encoder: OrderPageEncoder; close: () => Promise<void> }>) {
  test(`${name}: header and pages are the reference encoders' bytes; the file's SHA-256 is the same`, async () => {
    const { encoder, close } = await open();
    try {
      for (const format of EXPORT_FORMATS) {
        expect(Buffer.from(encoder.header(format)).toString()).toBe(ORDER_ENCODERS[format].header);
        const pages = [variedOrders(37, 0), variedOrders(1, 37), variedOrders(0), variedOrders(120, 38)];
        const expected = createHash('sha256').update(encoder.header(format));
        const actual = createHash('sha256').update(encoder.header(format));
        for (const page of pages) {
          const bytes = await encoder.encodePage(format, page);
          expect(Buffer.from(bytes).equals(Buffer.from(reference(format, page)))).toBe(true);
          actual.update(bytes);
          expected.update(reference(format, page));
        }
        expect(actual.digest('hex')).toBe(expected.digest('hex'));
      }
    } finally {
      await close();
    }
  });

  test(`${name}: pages encoded at once each come back to their own caller`, async () => {
    const { encoder, close } = await open();
    try {
      const pages = Array.from({ length: 24 }, (_, p) => variedOrders(5 + p, p * 100));
      const results = await Promise.all(pages.map((page, p) => encoder.encodePage(EXPORT_FORMATS[p % 2] as 'CSV', page)));
      results.forEach((bytes, p) => {
        const format = EXPORT_FORMATS[p % 2] as 'CSV';
        expect(Buffer.from(bytes).toString()).toBe(Buffer.from(reference(format, pages[p] as Order[])).toString());
      });
    } finally {
      await close();
    }
  });

  test(`${name}: the caller's orders are left as they were`, async () => {
    const { encoder, close } = await open();
    try {
      const page = variedOrders(10);
      const before = structuredClone(page);
      await encoder.encodePage('NDJSON', page);
      expect(page).toEqual(before);
    } finally {
      await close();
    }
  });
}
