// The check every hostile file ends with: the server still serves, its heap is back near the
// baseline, and the store holds only whole orders, each with exactly one CREATED event and the
// event log without gaps.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Metadata } from 'nice-grpc';
import { HealthCheckResponse_ServingStatus } from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import { expect } from 'vitest';
import { type Order, OrderEventType } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { reader } from '../support/async-queue.js';
import { type Clients, connect } from '../support/clients.js';
import { sample, scrape } from '../support/scrape.js';
import { type HostileApp, PATIENT_MS } from './support.js';

const MiB = 1024 * 1024;

/** A gc() even without --expose-gc (the flag can be set at runtime; a new context exposes it). */
function collectGarbage(): boolean {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
    return true;
  } catch {
    return false;
  }
}

/** Heap used as the app reports it on /metrics, after a full collection when possible. */
export async function heapUsed(app: HostileApp): Promise<{ bytes: number; collected: boolean }> {
  const collected = collectGarbage();
  const bytes = sample((await scrape(app.adminUrl)).text, 'nodejs_heap_size_used_bytes');
  if (bytes === undefined) throw new Error('/metrics has no nodejs_heap_size_used_bytes');
  return { bytes, collected };
}

async function allOrders(api: Clients, metadata: Metadata): Promise<Order[]> {
  const orders: Order[] = [];
  let pageToken = '';
  do {
    const page = await api.orders.listOrders({ pageSize: 500, pageToken }, { metadata, deadline: PATIENT_MS });
    orders.push(...page.orders);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return orders;
}

function expectWhole(order: Order): void {
  expect(order.items.length, `order ${order.id} has no items`).toBeGreaterThanOrEqual(1);
  expect(order.version, `order ${order.id} version`).toBeGreaterThanOrEqual(1n);
  const sum = order.items.reduce((total, item) => total + BigInt(item.quantity) * (item.unitPrice?.amountMinor ?? -1n), 0n);
  expect(order.total?.amountMinor, `order ${order.id} total`).toBe(sum);
  for (const item of order.items) expect(item.unitPrice?.currencyCode, `order ${order.id} currency`).toBe(order.total?.currencyCode);
}

/** Reads the log from sequence 0 until the sentinel's CREATED event (all earlier ones precede it). */
async function eventsUntil(api: Clients, metadata: Metadata, sentinelId: string) {
  const abort = new AbortController();
  const events = reader(api.orders.watchOrders({ afterSequence: 0n }, { metadata, signal: abort.signal }));
  const seen: { sequence: bigint; type: OrderEventType; orderId: string }[] = [];
  try {
    while (seen.at(-1)?.orderId !== sentinelId || seen.at(-1)?.type !== OrderEventType.ORDER_EVENT_TYPE_CREATED) {
      const [response] = await events.take(1);
      const event = response?.event;
      seen.push({ sequence: event?.sequence ?? -1n, type: event?.type ?? OrderEventType.UNRECOGNIZED, orderId: event?.order?.id ?? '' });
    }
  } finally {
    abort.abort();
  }
  return seen;
}

function expectLogMatches(events: Awaited<ReturnType<typeof eventsUntil>>, orders: Order[]): void {
  expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => BigInt(i + 1)));
  const created = events.filter((e) => e.type === OrderEventType.ORDER_EVENT_TYPE_CREATED).map((e) => e.orderId);
  expect(new Set(created).size, 'an order has more than one CREATED event').toBe(created.length);
  expect([...created].sort()).toEqual(orders.map((o) => o.id).sort());
  const known = new Set(created);
  for (const event of events) expect(known.has(event.orderId), `event ${event.sequence} of an unknown order`).toBe(true);
}

/** Call after all hostile traffic: see the file comment. `baseline` is heapUsed() at start. */
export async function expectIntactAfterAbuse(app: HostileApp, baseline: { bytes: number; collected: boolean }): Promise<void> {
  const api = connect(app.grpcAddress);
  const metadata = Metadata({ authorization: `Bearer ${app.adminToken}` });
  try {
    expect((await api.health.check({ service: '' }, { deadline: PATIENT_MS })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const created = await api.orders.createOrder(
      { customerId: 'after-abuse', items: [{ productId: 'cup', quantity: 3 }] },
      { metadata, deadline: PATIENT_MS },
    );
    const id = created.order?.id ?? '';
    expect((await api.orders.getOrder({ id }, { metadata, deadline: PATIENT_MS })).order).toEqual(created.order);

    const heap = await heapUsed(app);
    const allowance = (heap.collected && baseline.collected ? 64 : 256) * MiB;
    console.log(
      `heap used: baseline ${Math.round(baseline.bytes / MiB)} MiB, now ${Math.round(heap.bytes / MiB)} MiB (gc: ${heap.collected})`,
    );
    expect(heap.bytes).toBeLessThan(baseline.bytes + allowance);

    const orders = await allOrders(api, metadata);
    orders.forEach(expectWhole);
    expectLogMatches(await eventsUntil(api, metadata, id), orders);
  } finally {
    api.close();
  }
}
