// The wire contract every server in the benchmark answers and every load generator speaks: method
// paths, the ts-proto codecs from src/gen, the seeded products and the requests sent. Sharing it
// keeps the bytes on the wire identical, so that only the server stack differs between scenarios.
import { GetProductRequest, GetProductResponse } from '../src/gen/orderflow/catalog/v1/catalog_service.js';
import {
  CreateOrderRequest,
  CreateOrderResponse,
  GetOrderRequest,
  GetOrderResponse,
  WatchOrdersRequest,
  WatchOrdersResponse,
} from '../src/gen/orderflow/orders/v1/order_service.js';

export type Codec<T> = { encode(message: T): { finish(): Uint8Array }; decode(input: Uint8Array): T };

export type Method<Req, Res> = Readonly<{ path: string; request: Codec<Req>; response: Codec<Res> }>;

const CATALOG = '/orderflow.catalog.v1.CatalogService/';
const ORDERS = '/orderflow.orders.v1.OrderService/';

export const GET_PRODUCT: Method<GetProductRequest, GetProductResponse> = {
  path: `${CATALOG}GetProduct`,
  request: GetProductRequest,
  response: GetProductResponse,
};
export const GET_ORDER: Method<GetOrderRequest, GetOrderResponse> = {
  path: `${ORDERS}GetOrder`,
  request: GetOrderRequest,
  response: GetOrderResponse,
};
export const CREATE_ORDER: Method<CreateOrderRequest, CreateOrderResponse> = {
  path: `${ORDERS}CreateOrder`,
  request: CreateOrderRequest,
  response: CreateOrderResponse,
};
export const WATCH_ORDERS: Method<WatchOrdersRequest, WatchOrdersResponse> = {
  path: `${ORDERS}WatchOrders`,
  request: WatchOrdersRequest,
  response: WatchOrdersResponse,
};

/** The method name as grpc_server_handled_total labels it. */
export const methodName = (method: Method<unknown, unknown>): string => method.path.slice(method.path.lastIndexOf('/') + 1);

/** The same products orderflow is seeded with (catalog.seed) and the baseline serves. */
export const PRODUCTS = [
  { id: 'espresso', name: 'Espresso beans', price: { currencyCode: 'EUR', amountMinor: 1250 } },
  { id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400 } },
  { id: 'tea', name: 'Tea', price: { currencyCode: 'USD', amountMinor: 900 } },
] as const;

/** The caller: the subject of the benchmark's tokens, and the customer whose orders it creates and reads. */
export const CUSTOMER = 'bench-customer';

export const GET_PRODUCT_REQUEST: GetProductRequest = { id: 'espresso' };

/** No idempotency key: every call creates a new order, as a checkout does. */
export const CREATE_ORDER_REQUEST: CreateOrderRequest = {
  customerId: CUSTOMER,
  items: [
    { productId: 'espresso', quantity: 2 },
    { productId: 'cup', quantity: 1 },
  ],
  idempotencyKey: '',
};

/** From the first event of the log: a watch replays everything stored, then waits for more. */
export const WATCH_FROM_START: WatchOrdersRequest = { customerId: '', afterSequence: 0n };
