import { afterAll, beforeAll, expect, test } from 'vitest';
import { connect, type Clients } from '../support/clients.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let clients: Clients;

beforeAll(async () => {
  app = await startTestApp({ store: 'embedded' });
  clients = connect(app.grpcAddress);
});

afterAll(async () => {
  clients.close();
  await app.stop();
});

test('creates an order priced from the catalog and reads it back', async () => {
  const { order } = await clients.orders.createOrder({ customerId: 'c-1', items: [{ productId: 'espresso', quantity: 2 }, { productId: 'cup', quantity: 1 }] });
  expect(order?.total).toEqual({ currencyCode: 'EUR', amountMinor: 2900n });
  const read = await clients.orders.getOrder({ id: order?.id ?? '' });
  expect(read.order).toEqual(order);
});
