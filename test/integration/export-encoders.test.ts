// The export encoders: RFC 4180 quoting, and NDJSON equal to the generated proto3 JSON of Order.
import { expect, test } from 'vitest';
import { Order as ProtoOrder } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { toProtoOrder } from '../../src/transport/grpc/order-mapping.js';
import { anOrder } from '../support/builders.js';
import { parseCsv } from '../support/exports.js';
import { ORDER_ENCODERS, CSV_COLUMNS } from '../../src/adapters/export-encoders.js';

test('CSV: a header row, CRLF, and fields with commas, quotes or line breaks quoted with quotes doubled', () => {
  const order = anOrder({
    customerId: 'acme, "north"\r\nbranch',
    items: [
      { productId: 'a', quantity: 2, unitPrice: { currencyCode: 'EUR', amountMinor: 150n } },
      { productId: 'b', quantity: 1, unitPrice: { currencyCode: 'EUR', amountMinor: 5n } },
    ],
  });
  const text = ORDER_ENCODERS.CSV.header + ORDER_ENCODERS.CSV.encode(order);
  expect(text.endsWith('\r\n')).toBe(true);
  expect(text).toContain('"acme, ""north""\r\nbranch"');
  const rows = parseCsv(text);
  expect(rows[0]).toEqual([...CSV_COLUMNS]);
  expect(rows[1]?.[1]).toBe('acme, "north"\r\nbranch');
  expect(rows[1]?.slice(4, 8)).toEqual(['EUR', order.total.amountMinor.toString(), '2', 'a*2@150;b*1@5']);
});

test('NDJSON: one line per order, the proto3 JSON that the generated Order.toJSON writes', () => {
  for (const order of [anOrder(), anOrder({ status: 'CANCELLED', version: 7n, total: { currencyCode: 'JPY', amountMinor: 2n ** 62n } })]) {
    const line = ORDER_ENCODERS.NDJSON.encode(order);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(ProtoOrder.toJSON(toProtoOrder(order)));
  }
  expect(ORDER_ENCODERS.NDJSON.header).toBe('');
});
