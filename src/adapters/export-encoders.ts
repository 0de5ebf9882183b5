// The export formats. CSV (RFC 4180): a header row, CRLF line ends, fields quoted when they hold
// a comma, quote or line break; money as minor units beside its currency; items as
// `product*quantity@unit_price_minor` joined by `;`. NDJSON: one orderflow.orders.v1.Order a line
// in proto3 JSON (the names, value forms and default-omission of the proto3 JSON mapping, as the
// generated Order.toJSON writes them), without importing the transport's generated code.
// IN_LOOP_PAGE_ENCODER runs them on the caller's event loop (exports.encodeThreads: 0, and the
// reference the thread pool of export-encode-pool.ts is held to); the pool's threads run them too.
import type { ExportFormat } from '../domain/exports/export-job.js';
import type { Order, OrderStatus } from '../domain/order.js';
import type { OrderEncoder, OrderEncoders, OrderPageEncoder } from '../domain/ports.js';

export const CSV_COLUMNS = [
  'order_id',
  'customer_id',
  'status',
  'version',
  'currency_code',
  'total_minor',
  'item_count',
  'items',
  'create_time',
  'update_time',
] as const;

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

const csv: OrderEncoder = {
  header: `${CSV_COLUMNS.join(',')}\r\n`,
  encode(order) {
    const items = order.items.map((i) => `${i.productId}*${i.quantity}@${i.unitPrice.amountMinor}`).join(';');
    const fields = [
      order.id,
      order.customerId,
      order.status,
      order.version.toString(),
      order.total.currencyCode,
      order.total.amountMinor.toString(),
      String(order.items.length),
      items,
      order.createTime.toISOString(),
      order.updateTime.toISOString(),
    ];
    return `${fields.map(csvField).join(',')}\r\n`;
  },
};

const PROTO_STATUS: Readonly<Record<OrderStatus, string>> = {
  PENDING: 'ORDER_STATUS_PENDING',
  PAID: 'ORDER_STATUS_PAID',
  SHIPPED: 'ORDER_STATUS_SHIPPED',
  DELIVERED: 'ORDER_STATUS_DELIVERED',
  CANCELLED: 'ORDER_STATUS_CANCELLED',
};

/** proto3 JSON of Money: int64 as a string; default values (0, '') left out. */
function moneyJson(m: { currencyCode: string; amountMinor: bigint }) {
  return {
    ...(m.currencyCode === '' ? {} : { currencyCode: m.currencyCode }),
    ...(m.amountMinor === 0n ? {} : { amountMinor: m.amountMinor.toString() }),
  };
}

/** The proto3 JSON object of an orderflow.orders.v1.Order. */
export function orderProtoJson(order: Order): Record<string, unknown> {
  return {
    ...(order.id === '' ? {} : { id: order.id }),
    ...(order.customerId === '' ? {} : { customerId: order.customerId }),
    ...(order.items.length === 0
      ? {}
      : {
          items: order.items.map((i) => ({
            ...(i.productId === '' ? {} : { productId: i.productId }),
            ...(i.quantity === 0 ? {} : { quantity: i.quantity }),
            unitPrice: moneyJson(i.unitPrice),
          })),
        }),
    total: moneyJson(order.total),
    status: PROTO_STATUS[order.status],
    ...(order.version === 0n ? {} : { version: order.version.toString() }),
    createTime: order.createTime.toISOString(),
    updateTime: order.updateTime.toISOString(),
  };
}

const ndjson: OrderEncoder = {
  header: '',
  encode: (order) => `${JSON.stringify(orderProtoJson(order))}\n`,
};

export const ORDER_ENCODERS: OrderEncoders = { CSV: csv, NDJSON: ndjson };

const utf8 = new TextEncoder();

/** The records of a page as UTF-8 (what a page encoder returns, wherever it runs). */
export function encodePageBytes(format: ExportFormat, orders: readonly Order[]): Uint8Array {
  const encoder = ORDER_ENCODERS[format];
  return utf8.encode(orders.map((order) => encoder.encode(order)).join(''));
}

const HEADERS: Readonly<Record<ExportFormat, Uint8Array>> = { CSV: utf8.encode(csv.header), NDJSON: utf8.encode(ndjson.header) };

/** A copy each time: the caller owns (and may transfer) what it gets. */
export const exportHeader = (format: ExportFormat): Uint8Array => HEADERS[format].slice();

/** Encodes on the caller's event loop. */
export const IN_LOOP_PAGE_ENCODER: OrderPageEncoder = {
  header: exportHeader,
  encodePage: (format, orders) => new Promise((resolve) => resolve(encodePageBytes(format, orders))),
};
