import { DomainError, Violations } from './errors.js';
import { MAX_AMOUNT_MINOR, type Money } from './money.js';
import { describeProductIdRule, isProductId, type Product } from './product.js';

export const ORDER_STATUSES = ['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type OrderItem = Readonly<{ productId: string; quantity: number; unitPrice: Money }>;

export type Order = Readonly<{
  id: string;
  customerId: string;
  items: readonly OrderItem[];
  total: Money;
  status: OrderStatus;
  /** 1 at creation, +1 per change: the optimistic-concurrency token. */
  version: bigint;
  /** Scopes create retries per customer; empty when the caller sent none. */
  idempotencyKey: string;
  createTime: Date;
  updateTime: Date;
}>;

/** What a caller supplies to create an order; checked by {@link validateNewOrder}. */
export type NewOrder = Readonly<{
  customerId: string;
  items: readonly Readonly<{ productId: string; quantity: number }>[];
  idempotencyKey: string;
}>;

export const ORDER_LIMITS = {
  customerIdLength: 128,
  idempotencyKeyLength: 128,
  items: 100,
  quantity: 10_000,
} as const;

/** Legal moves of the status state machine; everything else is ILLEGAL_STATE. */
const NEXT_STATUSES: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['PAID', 'CANCELLED'],
  PAID: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  CANCELLED: [],
};

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT_STATUSES[from].includes(to);
}

const PRINTABLE = /^[^\p{Cc}]+$/u;

/** 1 to 128 characters, no control characters (NUL and friends cannot be stored or compared). */
export function isCustomerId(value: string): boolean {
  return value.length > 0 && value.length <= ORDER_LIMITS.customerIdLength && PRINTABLE.test(value);
}

export function describeCustomerIdRule(): string {
  return `must be 1 to ${ORDER_LIMITS.customerIdLength} printable characters`;
}

export function validateNewOrder(input: NewOrder, prefix = ''): void {
  const violations = new Violations();
  const { customerId, idempotencyKey, items } = input;
  if (!isCustomerId(customerId)) violations.add(`${prefix}customer_id`, describeCustomerIdRule());
  if (idempotencyKey.length > ORDER_LIMITS.idempotencyKeyLength || (idempotencyKey !== '' && !PRINTABLE.test(idempotencyKey))) {
    violations.add(`${prefix}idempotency_key`, `must be at most ${ORDER_LIMITS.idempotencyKeyLength} printable characters`);
  }
  if (items.length === 0 || items.length > ORDER_LIMITS.items) {
    violations.add(`${prefix}items`, `must hold 1 to ${ORDER_LIMITS.items} items`);
  }
  const seen = new Set<string>();
  items.slice(0, ORDER_LIMITS.items).forEach((item, i) => {
    const at = `${prefix}items[${i}]`;
    if (!isProductId(item.productId)) violations.add(`${at}.product_id`, describeProductIdRule());
    else if (seen.has(item.productId)) violations.add(`${at}.product_id`, 'appears more than once; add the quantities instead');
    seen.add(item.productId);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > ORDER_LIMITS.quantity) {
      violations.add(`${at}.quantity`, `must be between 1 and ${ORDER_LIMITS.quantity}`);
    }
  });
  violations.throwIfAny();
}

/**
 * Prices a validated new order from catalog products: unknown products, mixed currencies and
 * totals beyond int64 are INVALID, naming the item at fault.
 */
export function priceItems(input: NewOrder, products: ReadonlyMap<string, Product>, prefix = ''): { items: OrderItem[]; total: Money } {
  const violations = new Violations();
  const items: OrderItem[] = [];
  let currency: string | undefined;
  let total = 0n;
  input.items.forEach((item, i) => {
    const product = products.get(item.productId);
    if (product === undefined) {
      violations.add(`${prefix}items[${i}].product_id`, `no product ${JSON.stringify(item.productId)} in the catalog`);
      return;
    }
    currency ??= product.price.currencyCode;
    if (product.price.currencyCode !== currency) {
      violations.add(
        `${prefix}items[${i}].product_id`,
        `is priced in ${product.price.currencyCode}, the order in ${currency}; one currency per order`,
      );
      return;
    }
    total += product.price.amountMinor * BigInt(item.quantity);
    items.push({ productId: item.productId, quantity: item.quantity, unitPrice: product.price });
  });
  if (total > MAX_AMOUNT_MINOR) violations.add(`${prefix}items`, 'the order total exceeds the largest representable amount');
  violations.throwIfAny();
  return { items, total: { currencyCode: currency ?? '', amountMinor: total } };
}

export function newOrder(fields: { id: string; input: NewOrder; items: OrderItem[]; total: Money; now: Date }): Order {
  return {
    id: fields.id,
    customerId: fields.input.customerId,
    items: fields.items,
    total: fields.total,
    status: 'PENDING',
    version: 1n,
    idempotencyKey: fields.input.idempotencyKey,
    createTime: fields.now,
    updateTime: fields.now,
  };
}

/** True when a retried create asks for the same items as the order the key already made. */
export function sameItems(order: Order, input: NewOrder): boolean {
  if (order.items.length !== input.items.length) return false;
  const wanted = new Map(input.items.map((i) => [i.productId, i.quantity]));
  return order.items.every((i) => wanted.get(i.productId) === i.quantity);
}

/**
 * Moves an order to `to`. A non-zero `expectedVersion` that differs from the order's version is
 * VERSION_CONFLICT; a move the state machine does not allow is ILLEGAL_STATE.
 */
export function changeStatus(order: Order, to: OrderStatus, expectedVersion: bigint, now: Date): Order {
  if (expectedVersion !== 0n && expectedVersion !== order.version) {
    throw new DomainError(
      'VERSION_CONFLICT',
      `order ${order.id} is at version ${order.version}, not the expected ${expectedVersion}; read it again and retry`,
    );
  }
  if (!canMove(order.status, to)) {
    const allowed = NEXT_STATUSES[order.status];
    const hint = allowed.length === 0 ? `${order.status} is final` : `from ${order.status} it can move to ${allowed.join(' or ')}`;
    throw new DomainError('ILLEGAL_STATE', `order ${order.id} cannot move from ${order.status} to ${to}: ${hint}`);
  }
  return { ...order, status: to, version: order.version + 1n, updateTime: now };
}
