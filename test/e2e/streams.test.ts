// WatchOrders (server streaming), ImportOrders (client streaming) and TrackOrders (bidi) over
// real gRPC against the embedded store.
import { ClientError, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  OrderEventType,
  OrderStatus,
  type ImportOrdersRequest,
  type TrackOrdersRequest,
  type TrackOrdersResponse,
} from '../../src/gen/orderflow/orders/v1/order_service.js';
import { AsyncQueue, reader } from '../support/async-queue.js';
import { connect, type Clients } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: Clients;

beforeAll(async () => {
  app = await startTestApp({ store: 'embedded' });
  api = connect(app.grpcAddress);
});

afterAll(async () => {
  api.close();
  await app.stop();
});

const create = (customerId: string, idempotencyKey = '') =>
  api.orders.createOrder({ customerId, items: [{ productId: 'espresso', quantity: 1 }], idempotencyKey }).then((r) => r.order!);
const pay = (id: string) => api.orders.updateOrderStatus({ id, status: OrderStatus.ORDER_STATUS_PAID });

describe('WatchOrders', () => {
  test('replays history after a sequence, then streams live events with no gap or duplicate at the seam', async () => {
    const customer = 'watch-seam';
    const a = await create(customer);
    await pay(a.id);
    const all = new AbortController();
    const history = reader(api.orders.watchOrders({ customerId: customer, afterSequence: 0n }, { signal: all.signal }));
    const [created, paid] = await history.take(2);
    expect([created?.event?.type, paid?.event?.type]).toEqual([
      OrderEventType.ORDER_EVENT_TYPE_CREATED,
      OrderEventType.ORDER_EVENT_TYPE_STATUS_CHANGED,
    ]);
    expect(paid?.event?.order?.status).toBe(OrderStatus.ORDER_STATUS_PAID);

    // Resume from the first event while writes keep arriving: the replay/live seam must hold.
    const resumed = reader(
      api.orders.watchOrders({ customerId: customer, afterSequence: created!.event!.sequence }, { signal: all.signal }),
    );
    const writes = (async () => {
      for (let i = 0; i < 10; i++) await create(customer);
    })();
    const events = await resumed.take(11);
    await writes;
    const sequences = events.map((e) => e.event!.sequence);
    expect(sequences[0]).toBe(paid!.event!.sequence);
    expect(new Set(sequences).size).toBe(11);
    expect([...sequences].sort((x, y) => (x < y ? -1 : 1))).toEqual(sequences);
    const live = await history.take(10);
    expect(live.map((e) => e.event!.sequence)).toEqual(sequences.slice(1));
    all.abort();
  });

  test('without a customer filter, sequences are consecutive', async () => {
    await create('seq-1');
    const abort = new AbortController();
    const head = (await reader(api.orders.watchOrders({}, { signal: abort.signal })).take(1))[0]!.event!.sequence;
    const watch = reader(api.orders.watchOrders({ afterSequence: head }, { signal: abort.signal }));
    const events = await watch.take(3);
    expect(events.map((e) => e.event!.sequence)).toEqual([head + 1n, head + 2n, head + 3n]);
    abort.abort();
  });

  test('a negative after_sequence is INVALID_ARGUMENT', async () => {
    const outcome = await reader(api.orders.watchOrders({ afterSequence: -5n })).end();
    expect(outcome).toBeInstanceOf(ClientError);
    expect((outcome as ClientError).code).toBe(Status.INVALID_ARGUMENT);
  });
});

describe('ImportOrders', () => {
  test('creates items as they arrive and reports per-item failures without failing the stream', async () => {
    const requests = new AsyncQueue<ImportOrdersRequest>();
    const result = api.orders.importOrders(requests);
    requests.push({ order: { customerId: 'importer', items: [{ productId: 'cup', quantity: 2 }], idempotencyKey: 'imp-1' } });
    requests.push({ order: { customerId: 'importer', items: [{ productId: 'cup', quantity: 0 }], idempotencyKey: '' } });
    requests.push({ order: { customerId: 'importer', items: [{ productId: 'cup', quantity: 2 }], idempotencyKey: 'imp-1' } });
    requests.push({ order: undefined });
    requests.push({ order: { customerId: 'importer', items: [{ productId: 'ghost', quantity: 1 }], idempotencyKey: '' } });
    requests.push({ order: { customerId: 'importer', items: [{ productId: 'espresso', quantity: 1 }], idempotencyKey: 'imp-2' } });
    requests.end();
    const response = await result;
    expect(response).toMatchObject({ created: 2, duplicates: 1, failed: 3 });
    expect(response.errors.map((e) => [e.index, e.code])).toEqual([
      [1, 'INVALID_ARGUMENT'],
      [3, 'INVALID_ARGUMENT'],
      [4, 'INVALID_ARGUMENT'],
    ]);
    expect(response.errors[0]?.message).toMatch(/order\.items\[0\]\.quantity/);
    expect(response.errors[2]?.message).toMatch(/ghost/);
    const { orders } = await api.orders.listOrders({ customerId: 'importer' });
    expect(orders).toHaveLength(2);
  });

  test('an empty stream creates nothing', async () => {
    expect(await api.orders.importOrders((async function* () {})())).toMatchObject({ created: 0, duplicates: 0, failed: 0, errors: [] });
  });

  test('a thousand items stream through', async () => {
    async function* many() {
      for (let i = 0; i < 1000; i++)
        yield { order: { customerId: 'bulk', items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: `bulk-${i}` } };
    }
    expect(await api.orders.importOrders(many())).toMatchObject({ created: 1000, failed: 0 });
  });
});

/**
 * A TrackOrders stream that can wait until the server has applied every request sent so far.
 * There is no acknowledgement, but requests are applied in order: so track a fresh probe order
 * and pay it; its event proves the probe, and so everything before it, was applied. (A probe
 * paid before the server applied it is never reported: then try another.) Probe events are
 * kept out of what `next` returns.
 */
function trackingStream() {
  const requests = new AsyncQueue<TrackOrdersRequest>();
  const abort = new AbortController();
  const events = reader(api.orders.trackOrders(requests, { signal: abort.signal }));
  const probes = new Set<string>();
  const others: TrackOrdersResponse[] = [];
  const read = async (waitMs?: number) => {
    const [response] = await events.take(1, waitMs);
    if (probes.has(response?.event?.order?.id ?? '')) return 'probe';
    others.push(response!);
    return 'other';
  };
  return {
    send: (action: TrackOrdersRequest['action']) => requests.push({ action }),
    async applied(): Promise<void> {
      for (;;) {
        const probe = await create('tracker-probe');
        probes.add(probe.id);
        requests.push({ action: { $case: 'trackOrderId', value: probe.id } });
        await pay(probe.id);
        // Pacing only: a probe whose event has not come by then is tried again with a new one.
        const outcome = await read(1000).catch(() => 'none');
        if (outcome === 'probe') return;
      }
    },
    /** The next event that is not a probe's. */
    async next(): Promise<TrackOrdersResponse | undefined> {
      while (others.length === 0) await read();
      return others.shift();
    },
    stop: () => abort.abort(),
  };
}

describe('TrackOrders', () => {
  test('streams events of the tracked set as the client adds and removes ids', async () => {
    const a = await create('tracker');
    const b = await create('tracker');
    const stream = trackingStream();
    stream.send({ $case: 'trackOrderId', value: a.id });
    await stream.applied();
    await pay(b.id); // not tracked: must not arrive
    await pay(a.id);
    const first = await stream.next();
    expect([first?.event?.order?.id, first?.event?.order?.status]).toEqual([a.id, OrderStatus.ORDER_STATUS_PAID]);

    stream.send({ $case: 'untrackOrderId', value: a.id });
    stream.send({ $case: 'trackOrderId', value: b.id });
    await stream.applied();
    await api.orders.updateOrderStatus({ id: a.id, status: OrderStatus.ORDER_STATUS_SHIPPED });
    await api.orders.updateOrderStatus({ id: b.id, status: OrderStatus.ORDER_STATUS_SHIPPED });
    const second = await stream.next();
    expect([second?.event?.order?.id, second?.event?.order?.status]).toEqual([b.id, OrderStatus.ORDER_STATUS_SHIPPED]);
    stream.stop();
  });

  test('a malformed id ends the stream with INVALID_ARGUMENT naming the field', async () => {
    const requests = new AsyncQueue<TrackOrdersRequest>();
    requests.push({ action: { $case: 'trackOrderId', value: 'not-a-uuid' } });
    const error = await failure(reader(api.orders.trackOrders(requests)).take(1));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', fields: ['track_order_id'] });
  });

  test('a request without an action is INVALID_ARGUMENT', async () => {
    const requests = new AsyncQueue<TrackOrdersRequest>();
    requests.push({ action: undefined });
    expect((await failure(reader(api.orders.trackOrders(requests)).take(1))).fields).toEqual(['action']);
  });
});
