// The wire contract both servers answer and the load generator speaks: method paths, the ts-proto
// codecs from src/gen, the seeded products and the request each call sends. Sharing it keeps the
// bytes on the wire identical, so that only the server stack differs between scenarios.
import { GetProductRequest, GetProductResponse } from '../src/gen/orderflow/catalog/v1/catalog_service.js';
import { CreateOrderRequest, CreateOrderResponse } from '../src/gen/orderflow/orders/v1/order_service.js';

export const METHOD_NAMES = ['GetProduct', 'CreateOrder'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

export type Codec<T> = { encode(message: T): { finish(): Uint8Array }; decode(input: Uint8Array): T };

/** One measured unary method: where it lives and how its messages are (de)serialised. */
export type UnaryMethod<Req, Res> = Readonly<{
  path: string;
  request: Codec<Req>;
  response: Codec<Res>;
  /** The request of the `n`th call. */
  makeRequest(n: number): Req;
}>;

/** The same products orderflow is seeded with (catalog.seed) and the baseline serves. */
export const PRODUCTS = [
  { id: 'espresso', name: 'Espresso beans', price: { currencyCode: 'EUR', amountMinor: 1250 } },
  { id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400 } },
  { id: 'tea', name: 'Tea', price: { currencyCode: 'USD', amountMinor: 900 } },
] as const;

export const GET_PRODUCT: UnaryMethod<GetProductRequest, GetProductResponse> = {
  path: '/orderflow.catalog.v1.CatalogService/GetProduct',
  request: GetProductRequest,
  response: GetProductResponse,
  makeRequest: () => ({ id: 'espresso' }),
};

export const CREATE_ORDER: UnaryMethod<CreateOrderRequest, CreateOrderResponse> = {
  path: '/orderflow.orders.v1.OrderService/CreateOrder',
  request: CreateOrderRequest,
  response: CreateOrderResponse,
  // No idempotency key: every call creates a new order, as a checkout does.
  makeRequest: (n) => ({
    customerId: `bench-${n % 1000}`,
    items: [
      { productId: 'espresso', quantity: 2 },
      { productId: 'cup', quantity: 1 },
    ],
    idempotencyKey: '',
  }),
};

export const METHODS = { GetProduct: GET_PRODUCT, CreateOrder: CREATE_ORDER } as const;

/** The method named on the command line, with its message types erased (callers only pass them through). */
export function methodByName(name: string): UnaryMethod<unknown, unknown> {
  if (!(METHOD_NAMES as readonly string[]).includes(name)) throw new Error(`unknown method ${name}; expected one of ${METHOD_NAMES.join(', ')}`);
  return METHODS[name as MethodName];
}
