// Order proto messages to and from domain values. No logic beyond the mapping.
import { invalidField } from '../../domain/errors.js';
import type { NewOrder, Order, OrderStatus } from '../../domain/order.js';
import type { OrderEvent, OrderEventType } from '../../domain/order-event.js';
import {
  type CreateOrderRequest,
  type Order as ProtoOrder,
  type OrderEvent as ProtoOrderEvent,
  OrderEventType as ProtoOrderEventType,
  OrderStatus as ProtoOrderStatus,
} from '../../gen/orderflow/orders/v1/order_service.js';
import { toProtoMoney, toTimestamp } from './proto-values.js';

const TO_PROTO_STATUS: Readonly<Record<OrderStatus, ProtoOrderStatus>> = {
  PENDING: ProtoOrderStatus.ORDER_STATUS_PENDING,
  PAID: ProtoOrderStatus.ORDER_STATUS_PAID,
  SHIPPED: ProtoOrderStatus.ORDER_STATUS_SHIPPED,
  DELIVERED: ProtoOrderStatus.ORDER_STATUS_DELIVERED,
  CANCELLED: ProtoOrderStatus.ORDER_STATUS_CANCELLED,
};

const FROM_PROTO_STATUS = new Map<ProtoOrderStatus, OrderStatus>(
  Object.entries(TO_PROTO_STATUS).map(([domain, proto]) => [proto, domain as OrderStatus]),
);

const TO_PROTO_EVENT_TYPE: Readonly<Record<OrderEventType, ProtoOrderEventType>> = {
  CREATED: ProtoOrderEventType.ORDER_EVENT_TYPE_CREATED,
  STATUS_CHANGED: ProtoOrderEventType.ORDER_EVENT_TYPE_STATUS_CHANGED,
};

/** undefined for ORDER_STATUS_UNSPECIFIED; INVALID (field `status`) for numbers this server does not know. */
export function fromProtoStatus(status: ProtoOrderStatus): OrderStatus | undefined {
  if (status === ProtoOrderStatus.ORDER_STATUS_UNSPECIFIED) return undefined;
  const known = FROM_PROTO_STATUS.get(status);
  if (known === undefined) throw invalidField('status', `unknown status ${String(status)}`);
  return known;
}

export function toProtoOrder(order: Order): ProtoOrder {
  return {
    id: order.id,
    customerId: order.customerId,
    items: order.items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: toProtoMoney(i.unitPrice) })),
    total: toProtoMoney(order.total),
    status: TO_PROTO_STATUS[order.status],
    version: order.version,
    createTime: toTimestamp(order.createTime),
    updateTime: toTimestamp(order.updateTime),
  };
}

export function toProtoEvent(event: OrderEvent): ProtoOrderEvent {
  return {
    sequence: event.sequence,
    type: TO_PROTO_EVENT_TYPE[event.type],
    order: toProtoOrder(event.order),
    occurTime: toTimestamp(event.occurTime),
  };
}

export function fromCreateOrderRequest(request: CreateOrderRequest | undefined): NewOrder {
  return {
    customerId: request?.customerId ?? '',
    items: (request?.items ?? []).map((i) => ({ productId: i.productId, quantity: i.quantity })),
    idempotencyKey: request?.idempotencyKey ?? '',
  };
}
