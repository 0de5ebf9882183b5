// A page of orders as flat columns of primitives, for a worker thread. postMessage clones
// whatever it is given on the sending thread: 500 domain Orders (objects, bigints, Dates) cost the
// event loop about as much as encoding them as CSV does (~1 ms), flat columns about a quarter of
// that (bench/export-page-costs.ts, bench/REPORT.md "Exports"). The thread rebuilds the Orders
// and runs the very encoders of the event loop, so the bytes cannot differ; lossless by
// construction (bigints as decimal strings, Dates as epoch milliseconds, which is all they hold).
import type { Order, OrderItem, OrderStatus } from '../domain/order.js';

export type OrderColumns = Readonly<{
  /** Per order: id, customerId, status, idempotencyKey, version, total currency, total minor; then per item: productId, currency, minor. */
  strings: string[];
  /** Per order: createTime, updateTime (epoch ms). */
  times: Float64Array;
  /** Per order: its number of items. */
  itemCounts: Uint32Array;
  /** Per item, in order. */
  quantities: Float64Array;
}>;

const ORDER_STRINGS = 7;
const ITEM_STRINGS = 3;

export function toColumns(orders: readonly Order[]): OrderColumns {
  const strings: string[] = [];
  const times = new Float64Array(orders.length * 2);
  const itemCounts = new Uint32Array(orders.length);
  let items = 0;
  for (const order of orders) items += order.items.length;
  const quantities = new Float64Array(items);
  let item = 0;
  orders.forEach((o, i) => {
    strings.push(
      o.id,
      o.customerId,
      o.status,
      o.idempotencyKey,
      o.version.toString(),
      o.total.currencyCode,
      o.total.amountMinor.toString(),
    );
    times[2 * i] = o.createTime.getTime();
    times[2 * i + 1] = o.updateTime.getTime();
    itemCounts[i] = o.items.length;
    for (const it of o.items) {
      strings.push(it.productId, it.unitPrice.currencyCode, it.unitPrice.amountMinor.toString());
      quantities[item++] = it.quantity;
    }
  });
  return { strings, times, itemCounts, quantities };
}

export function fromColumns(columns: OrderColumns): Order[] {
  const { strings, times, itemCounts, quantities } = columns;
  const orders: Order[] = [];
  let at = 0;
  let item = 0;
  for (let i = 0; i < itemCounts.length; i++) {
    const [id, customerId, status, idempotencyKey, version, currencyCode, totalMinor] = strings.slice(at, at + ORDER_STRINGS) as [
      string,
      string,
      OrderStatus,
      string,
      string,
      string,
      string,
    ];
    at += ORDER_STRINGS;
    const items: OrderItem[] = [];
    for (let n = 0; n < (itemCounts[i] as number); n++) {
      items.push({
        productId: strings[at] as string,
        quantity: quantities[item++] as number,
        unitPrice: { currencyCode: strings[at + 1] as string, amountMinor: BigInt(strings[at + 2] as string) },
      });
      at += ITEM_STRINGS;
    }
    orders.push({
      id,
      customerId,
      items,
      total: { currencyCode, amountMinor: BigInt(totalMinor) },
      status,
      version: BigInt(version),
      idempotencyKey,
      createTime: new Date(times[2 * i] as number),
      updateTime: new Date(times[2 * i + 1] as number),
    });
  }
  return orders;
}
