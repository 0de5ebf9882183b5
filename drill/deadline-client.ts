// Unary calls with a deadline the server is told of (grpc-timeout), straight on grpc-js. The
// nice-grpc deadline middleware the tests use only cancels the call on the client's side and
// sends no grpc-timeout, so the server would run (and may commit) under its own default
// deadline: the promises about deadlines need the deadline to reach the server.
import { type ChannelOptions, Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  CreateOrderRequest,
  CreateOrderResponse,
  GetOrderRequest,
  GetOrderResponse,
} from '../src/gen/orderflow/orders/v1/order_service.js';

type Codec<T> = { encode(value: T): { finish(): Uint8Array }; decode(bytes: Uint8Array): T };

export function deadlineClient(address: string, metadata: Record<string, string> = {}, options: ChannelOptions = {}) {
  const client = new Client(address, credentials.createInsecure(), options);
  function call<Req, Res>(path: string, req: Codec<Req>, res: Codec<Res>, request: Req, deadlineMs: number): Promise<Res> {
    const md = new Metadata();
    for (const [k, v] of Object.entries(metadata)) md.set(k, v);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        path,
        (value: Req) => Buffer.from(req.encode(value).finish()),
        (bytes: Buffer) => res.decode(bytes),
        request,
        md,
        { deadline: Date.now() + deadlineMs },
        (error: ServiceError | null, response?: Res) => (error === null ? resolve(response as Res) : reject(error)),
      );
    });
  }
  return {
    createOrder: (request: CreateOrderRequest, deadlineMs: number) =>
      call('/orderflow.orders.v1.OrderService/CreateOrder', CreateOrderRequest, CreateOrderResponse, request, deadlineMs),
    getOrder: (request: GetOrderRequest, deadlineMs: number) =>
      call('/orderflow.orders.v1.OrderService/GetOrder', GetOrderRequest, GetOrderResponse, request, deadlineMs),
    close: () => client.close(),
  };
}
