// grpc handlers for orderflow.orders.v1.OrderService: map, call one use case, map back.
import { invalidField } from '../../domain/errors.js';
import { isOrderId } from '../../domain/order-id.js';
import type { NewOrder, Order } from '../../domain/order.js';
import type { OrderUseCases } from '../../domain/order-use-cases.js';
import type { ServiceImplementation } from 'nice-grpc';
import type { ImportOrdersRequest, OrderServiceDefinition, TrackOrdersRequest } from '../../gen/orderflow/orders/v1/order_service.js';
import { actorOf } from './orderflow-scopes.js';
import type { AppCallContext } from './server-call.js';
import { statusName, statusOf } from './error-table.js';
import { fromCreateOrderRequest, fromProtoStatus, toProtoEvent, toProtoOrder } from './order-mapping.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { responsesFor } from './reused-responses.js';

async function* newOrders(requests: AsyncIterable<ImportOrdersRequest>): AsyncGenerator<NewOrder> {
  for await (const request of requests) yield fromCreateOrderRequest(request.order);
}

/**
 * A cache hit returns the same Order object to every reader (read-through-cache.ts), so its
 * response is mapped and encoded once: encoding was about 4 % of a cached GetOrder's CPU.
 */
const getOrderResponse = responsesFor((order: Order) => ({ order: toProtoOrder(order) }));

export function orderService(
  orders: OrderUseCases,
  limits: { maxImportItems: number },
): ServiceImplementation<typeof OrderServiceDefinition, AppCallContext> {
  return {
    async createOrder(request, context) {
      const { order } = await orders.create(fromCreateOrderRequest(request), actorOf(context.principal), context);
      return { order: toProtoOrder(order) };
    },

    async getOrder(request, context) {
      return getOrderResponse(await orders.get(request.id, actorOf(context.principal), context));
    },

    async listOrders(request, context) {
      const status = fromProtoStatus(request.status);
      const filter = JSON.stringify([request.customerId, status ?? '']);
      const beforeId = decodePageToken(request.pageToken, filter, isOrderId);
      const page = await orders.list(
        { customerId: request.customerId, status, pageSize: request.pageSize, beforeId },
        actorOf(context.principal),
        context,
      );
      return { orders: page.orders.map(toProtoOrder), nextPageToken: encodePageToken(page.nextBeforeId, filter) };
    },

    async updateOrderStatus(request, context) {
      const order = await orders.updateStatus(
        request.id,
        fromProtoStatus(request.status),
        request.expectedVersion,
        actorOf(context.principal),
        context,
      );
      return { order: toProtoOrder(order) };
    },

    async *watchOrders(request, context) {
      context.abortOnTerminate();
      const events = orders.watch(
        { customerId: request.customerId, afterSequence: request.afterSequence },
        actorOf(context.principal),
        context,
      );
      for await (const event of events) yield { event: toProtoEvent(event) };
    },

    async importOrders(requests, context) {
      const result = await orders.importOrders(newOrders(requests), actorOf(context.principal), context, limits.maxImportItems);
      return {
        created: result.created,
        duplicates: result.duplicates,
        failed: result.failed,
        errors: result.errors.map(({ index, error }) => ({ index, code: statusName(statusOf(error.code)), message: error.message })),
        orders: result.orders.map(({ index, id, duplicate }) => ({ index, orderId: id, duplicate })),
      };
    },

    async *trackOrders(requests, context) {
      context.abortOnTerminate();
      const stop = new AbortController();
      const onAbort = () => stop.abort(context.signal.reason);
      context.signal.addEventListener('abort', onAbort, { once: true });
      const tracker = await orders.track(actorOf(context.principal), { signal: stop.signal, deadline: context.deadline });
      let requestFailure: unknown;
      // Requests are read concurrently with the events being sent; a bad request ends both.
      void (async () => {
        for await (const request of requests) await applyTrackRequest(tracker, request);
      })().catch((error: unknown) => {
        requestFailure = error;
        stop.abort(error);
      });
      try {
        for await (const event of tracker.events) yield { event: toProtoEvent(event) };
      } catch (error) {
        throw requestFailure ?? error;
      } finally {
        context.signal.removeEventListener('abort', onAbort);
        stop.abort();
      }
    },
  };
}

async function applyTrackRequest(tracker: Awaited<ReturnType<OrderUseCases['track']>>, request: TrackOrdersRequest): Promise<void> {
  const action = request.action;
  if (action === undefined) throw invalidField('action', 'set track_order_id or untrack_order_id');
  if (action.$case === 'trackOrderId') await tracker.track(action.value);
  else tracker.untrack(action.value);
}
