// The baseline: a bare @grpc/grpc-js server (no nice-grpc, no middleware, no interceptors) that
// answers the benchmark's methods with the same ts-proto codecs and the same response shapes as
// orderflow, doing the least work that still returns them: GetProduct and GetOrder from Maps,
// CreateOrder into a Map plus an event log, WatchOrders replaying that log (respecting
// backpressure) and then following it. It counts the status of every call it ends and serves the
// counts as grpc_server_handled_total on GET /metrics (codes spelt as orderflow's metrics spell them), so that the benchmark verifies it the way
// it verifies orderflow. Prints {"msg":"serving","grpc":"127.0.0.1:N","admin":"127.0.0.1:M"}.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type handleServerStreamingCall,
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  status as Status,
} from '@grpc/grpc-js';
import type { Product } from '../src/gen/orderflow/catalog/v1/catalog_service.js';
import type { Timestamp } from '../src/gen/google/protobuf/timestamp.js';
import { GO_CODE_NAMES } from '../src/platform/grpc-metrics.js';
import { type Order, type OrderEvent, OrderEventType, OrderStatus } from '../src/gen/orderflow/orders/v1/order_service.js';
import { CREATE_ORDER, GET_ORDER, GET_PRODUCT, type Method, methodName, PRODUCTS, WATCH_ORDERS } from './contract.js';

const timestamp = (ms: number): Timestamp => ({ seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });
const seededAt = timestamp(Date.now());
const catalog = new Map<string, Product & { price: { currencyCode: string; amountMinor: bigint } }>(
  PRODUCTS.map((p) => [
    p.id,
    {
      id: p.id,
      name: p.name,
      price: { currencyCode: p.price.currencyCode, amountMinor: BigInt(p.price.amountMinor) },
      createTime: seededAt,
      updateTime: seededAt,
    },
  ]),
);
const orders = new Map<string, Order>();
const log: OrderEvent[] = [];
const logWaiters = new Set<() => void>();

/** handled[method][code name] */
const handled = new Map<string, Map<string, number>>();
function count(path: string, code: Status): void {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const byCode = handled.get(name) ?? new Map<string, number>();
  handled.set(name, byCode);
  const key = GO_CODE_NAMES[code] ?? String(code);
  byCode.set(key, (byCode.get(key) ?? 0) + 1);
}

function unary<Req, Res>(path: string, answer: (request: Req) => Res | { code: Status; details: string }): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const result = answer(call.request);
    if (typeof result === 'object' && result !== null && 'code' in result) {
      count(path, result.code);
      return callback(result);
    }
    count(path, Status.OK);
    callback(null, result);
  };
}

const getProduct = unary(GET_PRODUCT.path, (request: { id: string }) => {
  const product = catalog.get(request.id);
  return product === undefined ? { code: Status.NOT_FOUND, details: 'product not found' } : { product };
});

const getOrder = unary(GET_ORDER.path, (request: { id: string }) => {
  const order = orders.get(request.id);
  return order === undefined ? { code: Status.NOT_FOUND, details: 'order not found' } : { order };
});

/** The trivial checks a real server cannot skip, then price, store, log and return the order. */
const createOrder = unary(
  CREATE_ORDER.path,
  ({ customerId, items }: { customerId: string; items: { productId: string; quantity: number }[] }) => {
    if (customerId === '' || items.length === 0) return { code: Status.INVALID_ARGUMENT, details: 'customer_id and items are required' };
    const priced = [];
    let total = 0n;
    for (const item of items) {
      const product = catalog.get(item.productId);
      if (product === undefined || item.quantity < 1 || item.quantity > 10_000)
        return { code: Status.INVALID_ARGUMENT, details: 'bad item' };
      priced.push({ productId: item.productId, quantity: item.quantity, unitPrice: product.price });
      total += product.price.amountMinor * BigInt(item.quantity);
    }
    const now = timestamp(Date.now());
    const currencyCode = priced[0]?.unitPrice.currencyCode ?? '';
    const order: Order = {
      id: randomUUID(),
      customerId,
      items: priced,
      total: { currencyCode, amountMinor: total },
      status: OrderStatus.ORDER_STATUS_PENDING,
      version: 1n,
      createTime: now,
      updateTime: now,
    };
    orders.set(order.id, order);
    log.push({ sequence: BigInt(log.length + 1), type: OrderEventType.ORDER_EVENT_TYPE_CREATED, order, occurTime: now });
    for (const wake of [...logWaiters]) wake();
    return { order };
  },
);

/** Replays the log after `afterSequence`, then follows it, until the client cancels. */
const watchOrders: handleServerStreamingCall<{ afterSequence: bigint }, { event: OrderEvent }> = (call) => {
  let next = Number(call.request.afterSequence);
  let cancelled = false;
  let waiting: (() => void) | undefined;
  call.once('cancelled', () => {
    cancelled = true;
    if (waiting !== undefined) logWaiters.delete(waiting);
    count(WATCH_ORDERS.path, Status.CANCELLED);
  });
  const pump = (): void => {
    while (!cancelled && next < log.length) {
      if (!call.write({ event: log[next++]! })) return void call.once('drain', pump);
    }
    if (cancelled) return;
    waiting = () => {
      logWaiters.delete(waiting!);
      waiting = undefined;
      pump();
    };
    logWaiters.add(waiting);
  };
  pump();
};

function definition<Req, Res>(method: Method<Req, Res>, responseStream: boolean): ServiceDefinition[string] {
  return {
    path: method.path,
    requestStream: false,
    responseStream,
    requestSerialize: (message: Req) => Buffer.from(method.request.encode(message).finish()),
    requestDeserialize: (bytes: Buffer) => method.request.decode(bytes),
    responseSerialize: (message: Res) => Buffer.from(method.response.encode(message).finish()),
    responseDeserialize: (bytes: Buffer) => method.response.decode(bytes),
    originalName: methodName(method),
  };
}

/** The counts in Prometheus' text format, with the labels orderflow's metric carries. */
function metricsText(): string {
  const lines = ['# TYPE grpc_server_handled_total counter'];
  for (const [method, byCode] of handled) {
    for (const [code, n] of byCode) lines.push(`grpc_server_handled_total{grpc_method="${method}",grpc_code="${code}"} ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const server = new Server();
  // One grpc-js service per proto service: the path in each definition is what routes calls.
  server.addService({ GetProduct: definition(GET_PRODUCT, false) }, { GetProduct: getProduct });
  server.addService(
    { GetOrder: definition(GET_ORDER, false), CreateOrder: definition(CREATE_ORDER, false), WatchOrders: definition(WATCH_ORDERS, true) },
    { GetOrder: getOrder, CreateOrder: createOrder, WatchOrders: watchOrders },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  const admin = createServer((req, res) => (req.url === '/metrics' ? res.end(metricsText()) : res.writeHead(404).end()));
  await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
  console.log(JSON.stringify({ msg: 'serving', grpc: `127.0.0.1:${port}`, admin: `127.0.0.1:${(admin.address() as AddressInfo).port}` }));
  const stop = () => {
    admin.close();
    server.tryShutdown(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
