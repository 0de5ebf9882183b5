// One JSON form of an Order (bigints as decimal strings, times as ISO 8601), shared by the event
// log payloads and the order cache so that both decode with the same code.
import type { Order, OrderItem, OrderStatus } from '../domain/order.js';

type MoneyJson = { currencyCode: string; amountMinor: string };
type OrderItemJson = { productId: string; quantity: number; unitPrice: MoneyJson };
export type OrderJson = {
  id: string;
  customerId: string;
  items: OrderItemJson[];
  total: MoneyJson;
  status: OrderStatus;
  version: string;
  idempotencyKey: string;
  createTime: string;
  updateTime: string;
};

export function toOrderJson(order: Order): OrderJson {
  return {
    id: order.id,
    customerId: order.customerId,
    items: order.items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: moneyJson(i.unitPrice) })),
    total: moneyJson(order.total),
    status: order.status,
    version: order.version.toString(),
    idempotencyKey: order.idempotencyKey,
    createTime: order.createTime.toISOString(),
    updateTime: order.updateTime.toISOString(),
  };
}

export function fromOrderJson(json: OrderJson): Order {
  return {
    id: json.id,
    customerId: json.customerId,
    items: json.items.map((i): OrderItem => ({ productId: i.productId, quantity: i.quantity, unitPrice: fromMoneyJson(i.unitPrice) })),
    total: fromMoneyJson(json.total),
    status: json.status,
    version: BigInt(json.version),
    idempotencyKey: json.idempotencyKey,
    createTime: new Date(json.createTime),
    updateTime: new Date(json.updateTime),
  };
}

function moneyJson(m: { currencyCode: string; amountMinor: bigint }): MoneyJson {
  return { currencyCode: m.currencyCode, amountMinor: m.amountMinor.toString() };
}

function fromMoneyJson(m: MoneyJson) {
  return { currencyCode: m.currencyCode, amountMinor: BigInt(m.amountMinor) };
}
