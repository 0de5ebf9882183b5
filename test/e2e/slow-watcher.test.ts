// A WatchOrders client that stops reading: the server stops pulling events for it once HTTP/2
// flow control holds its writes, its buffer (limits.watchBufferEvents) fills, and the stream ends
// with ABORTED, the message naming the last sequence delivered; other watchers are unaffected
// and the slow client resumes from that sequence without a gap. The client is raw node:http2
// with a 1 KiB stream window that it does not read, so the server's sends block for certain.
import { connect as http2Connect } from 'node:http2';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WatchOrdersRequest, WatchOrdersResponse } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { reader } from '../support/async-queue.js';
import { type Clients, connect } from '../support/clients.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { GrpcFrameReader, grpcFrame } from '../../bench/grpc-frame.js';

const BUFFER = 5;
const EVENTS = 300;
let app: TestApp;
let api: Clients;

beforeAll(async () => {
  app = await startTestApp({ config: { limits: { watchBufferEvents: BUFFER } } });
  api = connect(app.grpcAddress);
});
afterAll(async () => {
  api?.close();
  await app?.stop();
});

test('a watcher that does not read is ended with ABORTED naming its last sequence; it resumes from there', async () => {
  const session = http2Connect(`http://${app.grpcAddress}`, { settings: { initialWindowSize: 1024 } });
  session.on('error', () => {});
  const stream = session.request({
    ':method': 'POST',
    ':path': '/orderflow.orders.v1.OrderService/WatchOrders',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.end(grpcFrame(WatchOrdersRequest.encode({ customerId: '', afterSequence: 0n }).finish()));
  stream.pause(); // reads nothing: the window stays shut once 1 KiB has come
  const trailers = new Promise<Record<string, unknown>>((resolve) => stream.once('trailers', (t: Record<string, unknown>) => resolve(t)));
  const received: bigint[] = [];
  const frames = new GrpcFrameReader(
    (_, bytes) => void received.push(WatchOrdersResponse.decode(bytes!).event?.sequence ?? -1n),
    () => true,
  );

  const fast = reader(api.orders.watchOrders({}));
  const items = (async function* () {
    for (let i = 0; i < EVENTS; i++)
      yield { order: { customerId: 'slow', items: [{ productId: 'cup', quantity: 1 }], idempotencyKey: `k${i}` } };
  })();
  expect(await api.orders.importOrders(items)).toMatchObject({ created: EVENTS });
  // The fast watcher has every event: the tail has handed out all of them, so the slow one overflowed.
  expect((await fast.take(EVENTS)).at(-1)?.event?.sequence).toBe(BigInt(EVENTS));

  stream.on('data', (chunk: Buffer) => frames.push(chunk));
  const ended = new Promise((resolve) => stream.once('end', resolve));
  stream.resume();
  const ending = await trailers;
  await ended; // the data before the trailers is all read
  expect(Number(ending['grpc-status'])).toBe(10); // ABORTED
  const last = received.at(-1) ?? 0n;
  expect(received).toEqual(Array.from({ length: received.length }, (_, i) => BigInt(i + 1)));
  expect(received.length).toBeLessThan(EVENTS);
  expect(decodeURIComponent(String(ending['grpc-message']))).toContain(`after_sequence ${last})`);
  session.close();

  const resumed = reader(api.orders.watchOrders({ afterSequence: last }));
  const rest = await resumed.take(EVENTS - Number(last));
  expect(rest.map((r) => r.event?.sequence)).toEqual(Array.from({ length: EVENTS - Number(last) }, (_, i) => last + BigInt(i + 1)));
});
