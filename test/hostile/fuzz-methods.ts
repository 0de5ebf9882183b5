// Every method of OrderService and CatalogService with a valid request to mutate. Base requests
// name no existing order, so that fuzzing never changes an order's status (the final invariant
// check expects one CREATED event per order and nothing else).
import {
  BatchGetProductsRequest,
  CatalogServiceDefinition,
  GetProductRequest,
  ListProductsRequest,
  UpsertProductRequest,
} from '../../src/gen/orderflow/catalog/v1/catalog_service.js';
import {
  CreateOrderRequest,
  GetOrderRequest,
  ImportOrdersRequest,
  ListOrdersRequest,
  OrderServiceDefinition,
  OrderStatus,
  TrackOrdersRequest,
  UpdateOrderStatusRequest,
  WatchOrdersRequest,
} from '../../src/gen/orderflow/orders/v1/order_service.js';
import { type CallKind, kindOf } from './raw-calls.js';

export type FuzzMethod = {
  path: string;
  kind: CallKind;
  /** A valid encoded request. */
  base: Uint8Array;
  /** True when the server would deserialise these bytes (the same ts-proto decoder). */
  decodes(bytes: Uint8Array): boolean;
  /** A valid request opens a stream that stays open (WatchOrders, TrackOrders). */
  longLived: boolean;
};

type MethodDefinition = {
  name: string;
  requestStream: boolean;
  responseStream: boolean;
  requestType: { decode(bytes: Uint8Array): unknown };
};

function method(service: { fullName: string }, definition: MethodDefinition, base: Uint8Array, longLived = false): FuzzMethod {
  const decodes = (bytes: Uint8Array) => {
    try {
      definition.requestType.decode(bytes);
      return true;
    } catch {
      return false;
    }
  };
  return { path: `/${service.fullName}/${definition.name}`, kind: kindOf(definition), base, decodes, longLived };
}

const NO_SUCH_ORDER = '0190a6e2-5c3b-7d4e-8f00-1a2b3c4d5e6f';
/** A well-formed page token (see page-token.ts): mutations of it reach the store's paging. */
const pageToken = (last: string, filter: string) => Buffer.from(JSON.stringify({ v: 1, last, filter })).toString('base64url');
const newOrder = {
  customerId: 'fuzz-customer',
  items: [
    { productId: 'espresso', quantity: 2 },
    { productId: 'cup', quantity: 1 },
  ],
  idempotencyKey: 'fuzz-key',
};

const orders = OrderServiceDefinition.methods;
const catalog = CatalogServiceDefinition.methods;
const O = OrderServiceDefinition;
const C = CatalogServiceDefinition;

export const FUZZ_METHODS: readonly FuzzMethod[] = [
  method(O, orders.createOrder, CreateOrderRequest.encode(CreateOrderRequest.fromPartial(newOrder)).finish()),
  method(O, orders.getOrder, GetOrderRequest.encode({ id: NO_SUCH_ORDER }).finish()),
  method(
    O,
    orders.listOrders,
    ListOrdersRequest.encode({
      customerId: 'fuzz-customer',
      status: OrderStatus.ORDER_STATUS_PENDING,
      pageSize: 10,
      pageToken: pageToken(NO_SUCH_ORDER, JSON.stringify(['fuzz-customer', 'PENDING'])),
    }).finish(),
  ),
  method(
    O,
    orders.updateOrderStatus,
    UpdateOrderStatusRequest.encode({ id: NO_SUCH_ORDER, status: OrderStatus.ORDER_STATUS_PAID, expectedVersion: 3n }).finish(),
  ),
  method(O, orders.watchOrders, WatchOrdersRequest.encode({ customerId: 'fuzz-customer', afterSequence: 1n }).finish(), true),
  method(O, orders.importOrders, ImportOrdersRequest.encode(ImportOrdersRequest.fromPartial({ order: newOrder })).finish()),
  method(O, orders.trackOrders, TrackOrdersRequest.encode({ action: { $case: 'trackOrderId', value: NO_SUCH_ORDER } }).finish(), true),
  method(
    C,
    catalog.upsertProduct,
    UpsertProductRequest.encode(
      UpsertProductRequest.fromPartial({
        product: { id: 'fuzz-product', name: 'Fuzz', price: { currencyCode: 'EUR', amountMinor: 100n } },
      }),
    ).finish(),
  ),
  method(C, catalog.getProduct, GetProductRequest.encode({ id: 'cup' }).finish()),
  method(C, catalog.batchGetProducts, BatchGetProductsRequest.encode({ ids: ['cup', 'espresso', 'nope'] }).finish()),
  method(C, catalog.listProducts, ListProductsRequest.encode({ pageSize: 2, pageToken: pageToken('cup', '') }).finish()),
];

export function methodNamed(name: string): FuzzMethod {
  const found = FUZZ_METHODS.find((m) => m.path.endsWith(`/${name}`));
  if (found === undefined) throw new Error(`no method ${name} in FUZZ_METHODS`);
  return found;
}
