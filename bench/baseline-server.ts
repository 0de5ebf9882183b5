// The baseline: a bare @grpc/grpc-js server (no nice-grpc, no middleware, no interceptors) that
// answers the same two methods with the same ts-proto codecs as orderflow, doing the least work
// that still returns the same response shape. Run alone with `tsx bench/baseline-server.ts`; it
// listens on 127.0.0.1 port 0 and prints {"port": N} as one JSON line.
import { randomUUID } from 'node:crypto';
import { Server, ServerCredentials, status as Status, type handleUnaryCall, type ServiceDefinition } from '@grpc/grpc-js';
import type { GetProductRequest, GetProductResponse, Product } from '../src/gen/orderflow/catalog/v1/catalog_service.js';
import type { Timestamp } from '../src/gen/google/protobuf/timestamp.js';
import { type CreateOrderRequest, type CreateOrderResponse, type Order, OrderStatus } from '../src/gen/orderflow/orders/v1/order_service.js';
import { CREATE_ORDER, GET_PRODUCT, PRODUCTS, type UnaryMethod } from './contract.js';

function timestamp(ms: number): Timestamp {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

const seededAt = timestamp(Date.now());
const catalog = new Map<string, Product & { price: { currencyCode: string; amountMinor: bigint } }>(
  PRODUCTS.map((p) => [p.id, { id: p.id, name: p.name, price: { currencyCode: p.price.currencyCode, amountMinor: BigInt(p.price.amountMinor) }, createTime: seededAt, updateTime: seededAt }]),
);
const orders = new Map<string, Order>();

const getProduct: handleUnaryCall<GetProductRequest, GetProductResponse> = (call, callback) => {
  const product = catalog.get(call.request.id);
  if (product === undefined) return callback({ code: Status.NOT_FOUND, details: `product ${call.request.id} not found` });
  callback(null, { product });
};

/** The trivial checks a real server cannot skip, then price, store and return the order. */
const createOrder: handleUnaryCall<CreateOrderRequest, CreateOrderResponse> = (call, callback) => {
  const { customerId, items } = call.request;
  if (customerId === '' || items.length === 0) return callback({ code: Status.INVALID_ARGUMENT, details: 'customer_id and items are required' });
  const priced = [];
  let total = 0n;
  for (const item of items) {
    const product = catalog.get(item.productId);
    if (product === undefined || item.quantity < 1 || item.quantity > 10_000) return callback({ code: Status.INVALID_ARGUMENT, details: `bad item ${item.productId}` });
    priced.push({ productId: item.productId, quantity: item.quantity, unitPrice: product.price });
    total += product.price.amountMinor * BigInt(item.quantity);
  }
  const now = timestamp(Date.now());
  const currencyCode = priced[0]?.unitPrice.currencyCode ?? '';
  const order: Order = { id: randomUUID(), customerId, items: priced, total: { currencyCode, amountMinor: total }, status: OrderStatus.ORDER_STATUS_PENDING, version: 1n, createTime: now, updateTime: now };
  orders.set(order.id, order);
  callback(null, { order });
};

function definition<Req, Res>(method: UnaryMethod<Req, Res>): ServiceDefinition[string] {
  return {
    path: method.path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (message: Req) => Buffer.from(method.request.encode(message).finish()),
    requestDeserialize: (bytes: Buffer) => method.request.decode(bytes),
    responseSerialize: (message: Res) => Buffer.from(method.response.encode(message).finish()),
    responseDeserialize: (bytes: Buffer) => method.response.decode(bytes),
    originalName: method.path.slice(method.path.lastIndexOf('/') + 1),
  };
}

async function main(): Promise<void> {
  const server = new Server();
  // One grpc-js service per proto service: the path in each definition is what routes calls.
  server.addService({ GetProduct: definition(GET_PRODUCT) }, { GetProduct: getProduct });
  server.addService({ CreateOrder: definition(CREATE_ORDER) }, { CreateOrder: createOrder });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error))),
  );
  console.log(JSON.stringify({ msg: 'serving', port }));
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
