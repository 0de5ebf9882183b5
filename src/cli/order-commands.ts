// `orderflow orders create|get|list|set-status`: the unary calls of the order service.
import {
  CreateOrderResponse,
  GetOrderResponse,
  ListOrdersResponse,
  OrderStatus,
  orderStatusToJSON,
  UpdateOrderStatusResponse,
} from '../gen/orderflow/orders/v1/order_service.js';
import { expectPositionals, flagValue, int64Value, intValue, stringValue, UsageError } from './args.js';
import { collectPages } from './collect-pages.js';
import type { Command } from './command.js';
import { createOrderRequest } from './create-order-request.js';
import { printJson } from './output.js';

const STATUSES = [
  OrderStatus.ORDER_STATUS_PENDING,
  OrderStatus.ORDER_STATUS_PAID,
  OrderStatus.ORDER_STATUS_SHIPPED,
  OrderStatus.ORDER_STATUS_DELIVERED,
  OrderStatus.ORDER_STATUS_CANCELLED,
];
export const ORDER_STATUS_NAMES = STATUSES.map((status) => orderStatusToJSON(status).replace('ORDER_STATUS_', ''));

/** `paid`, `PAID` or `ORDER_STATUS_PAID`: people type the short form, scripts may copy the enum name. */
export function parseOrderStatus(text: string): OrderStatus {
  const name = text.toUpperCase().replace(/^ORDER_STATUS_/, '');
  const status = STATUSES[ORDER_STATUS_NAMES.indexOf(name)];
  if (status === undefined) throw new UsageError(`unknown status '${text}'; use one of ${ORDER_STATUS_NAMES.join(', ')}`);
  return status;
}

const create: Command = {
  name: 'orders create',
  usage: [
    'orders create --customer CUSTOMER --item PRODUCT[:QTY] [--item ...] [--key IDEMPOTENCY_KEY]',
    'orders create --json JSON|@FILE|-',
  ],
  summary: 'Create an order priced from the catalog.',
  details: [
    '  --customer ID        the customer placing the order',
    '  --item PRODUCT[:QTY] a product id and quantity (default 1); repeat for more items',
    '  --key KEY            idempotency key: a retry with the same key returns the first order',
    '  --json JSON          the whole CreateOrderRequest as proto3 JSON instead of the flags above,',
    '                       e.g. \'{"customerId":"c1","items":[{"productId":"cup","quantity":2}]}\';',
    '                       @FILE reads it from a file, - from stdin',
  ].join('\n'),
  example: 'orders create --customer c1 --item espresso:2 --item cup --key checkout-42',
  options: { customer: { type: 'string' }, item: { type: 'string', multiple: true }, key: { type: 'string' }, json: { type: 'string' } },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 0, 0, 'arguments');
    const request = await createOrderRequest(values);
    printJson(CreateOrderResponse.toJSON(await context.clients.orders.createOrder(request, context.unary())));
    return 0;
  },
};

const get: Command = {
  name: 'orders get',
  usage: ['orders get ID'],
  summary: 'Show one order.',
  details: 'Fails with NOT_FOUND if no order has that id.',
  example: 'orders get 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00',
  options: {},
  async run({ positionals }, context) {
    expectPositionals(positionals, 1, 1, 'order ID');
    printJson(GetOrderResponse.toJSON(await context.clients.orders.getOrder({ id: positionals[0] ?? '' }, context.unary())));
    return 0;
  },
};

const list: Command = {
  name: 'orders list',
  usage: ['orders list [--customer ID] [--status STATUS] [--page-size N] [--page-token TOKEN] [--all]'],
  summary: 'List orders, newest first, optionally filtered by customer and status.',
  details: [
    "  --customer ID        only this customer's orders",
    `  --status STATUS      only orders in this status: ${ORDER_STATUS_NAMES.join(', ')} (or ORDER_STATUS_PAID, any case)`,
    '  --page-size N        orders per page (server default 50, at most 500)',
    '  --page-token TOKEN   nextPageToken from a previous page with the same filters',
    '  --all                follow nextPageToken and print every order in one response',
  ].join('\n'),
  example: 'orders list --customer c1 --status paid',
  options: {
    customer: { type: 'string' },
    status: { type: 'string' },
    'page-size': { type: 'string' },
    'page-token': { type: 'string' },
    all: { type: 'boolean' },
  },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 0, 0, 'arguments');
    const statusText = stringValue(values, 'status');
    const filter = {
      customerId: stringValue(values, 'customer') ?? '',
      status: statusText === undefined ? OrderStatus.ORDER_STATUS_UNSPECIFIED : parseOrderStatus(statusText),
      pageSize: intValue(values, 'page-size') ?? 0,
    };
    const fetchPage = (pageToken: string) => context.clients.orders.listOrders({ ...filter, pageToken }, context.unary());
    const firstToken = stringValue(values, 'page-token') ?? '';
    if (!flagValue(values, 'all')) {
      printJson(ListOrdersResponse.toJSON(await fetchPage(firstToken)));
      return 0;
    }
    const orders = await collectPages(firstToken, async (token) => {
      const page = await fetchPage(token);
      return { items: page.orders, nextPageToken: page.nextPageToken };
    });
    printJson(ListOrdersResponse.toJSON({ orders, nextPageToken: '' }));
    return 0;
  },
};

const setStatus: Command = {
  name: 'orders set-status',
  usage: ['orders set-status ID STATUS [--expected-version N]'],
  summary: 'Move an order along PENDING -> PAID -> SHIPPED -> DELIVERED, or to CANCELLED.',
  details: [
    `  STATUS                 ${ORDER_STATUS_NAMES.join(', ')} (or ORDER_STATUS_PAID, any case)`,
    '  --expected-version N   change only if the order is at version N (else ABORTED)',
    '',
    'A move the lifecycle does not allow fails with FAILED_PRECONDITION.',
  ].join('\n'),
  example: 'orders set-status 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00 paid --expected-version 1',
  options: { 'expected-version': { type: 'string' } },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 2, 2, positionals.length === 0 ? 'order ID and STATUS' : 'STATUS');
    const request = {
      id: positionals[0] ?? '',
      status: parseOrderStatus(positionals[1] ?? ''),
      expectedVersion: int64Value(values, 'expected-version') ?? 0n,
    };
    printJson(UpdateOrderStatusResponse.toJSON(await context.clients.orders.updateOrderStatus(request, context.unary())));
    return 0;
  },
};

export const orderCommands: readonly Command[] = [create, get, list, setStatus];
