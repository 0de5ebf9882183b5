// OrderService and CatalogService unary RPCs over real gRPC (HTTP/2) against the embedded store.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OrderStatus } from '../../src/gen/orderflow/orders/v1/order_service.js';
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

const create = (customerId: string, items = [{ productId: 'espresso', quantity: 2 }], idempotencyKey = '') =>
  api.orders.createOrder({ customerId, items, idempotencyKey }).then((r) => r.order!);

describe('CreateOrder', () => {
  test('prices the order from the catalog: unit prices, total, PENDING at version 1', async () => {
    const order = await create('alice', [
      { productId: 'espresso', quantity: 2 },
      { productId: 'cup', quantity: 3 },
    ]);
    expect(order.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(order).toMatchObject({
      customerId: 'alice',
      items: [
        { productId: 'espresso', quantity: 2, unitPrice: { currencyCode: 'EUR', amountMinor: 1250n } },
        { productId: 'cup', quantity: 3, unitPrice: { currencyCode: 'EUR', amountMinor: 400n } },
      ],
      total: { currencyCode: 'EUR', amountMinor: 3700n },
      status: OrderStatus.ORDER_STATUS_PENDING,
      version: 1n,
    });
    expect(order.createTime).toEqual(order.updateTime);
  });

  test('a retry with the same idempotency key returns the same order, not a duplicate', async () => {
    const first = await create('bob', undefined, 'checkout-42');
    const retry = await create('bob', undefined, 'checkout-42');
    expect(retry).toEqual(first);
    const { orders } = await api.orders.listOrders({ customerId: 'bob' });
    expect(orders.map((o) => o.id)).toEqual([first.id]);
  });

  test('the same key with different items is ALREADY_EXISTS', async () => {
    await create('carol', undefined, 'k');
    expect((await failure(create('carol', [{ productId: 'cup', quantity: 1 }], 'k'))).code).toBe('ALREADY_EXISTS');
  });

  test('invalid input is INVALID_ARGUMENT with a field violation per problem', async () => {
    const error = await failure(api.orders.createOrder({ customerId: '', items: [{ productId: 'espresso', quantity: 0 }] }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.fields).toEqual(['customer_id', 'items[0].quantity']);
  });

  test('unknown products and mixed currencies are INVALID_ARGUMENT naming the item', async () => {
    const error = await failure(
      create('dave', [
        { productId: 'espresso', quantity: 1 },
        { productId: 'ghost', quantity: 1 },
        { productId: 'tea', quantity: 1 },
      ]),
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', fields: ['items[1].product_id', 'items[2].product_id'] });
    expect(error.details).toMatch(/no product "ghost"/);
  });
});

describe('GetOrder', () => {
  test('a well-formed id that matches no order is NOT_FOUND', async () => {
    expect((await failure(api.orders.getOrder({ id: '01890000-0000-7000-8000-000000000000' }))).code).toBe('NOT_FOUND');
  });

  test('a malformed id is INVALID_ARGUMENT on field id', async () => {
    expect(await failure(api.orders.getOrder({ id: 'nope' }))).toMatchObject({ code: 'INVALID_ARGUMENT', fields: ['id'] });
  });

  test('accepts the id in upper case', async () => {
    const order = await create('erin');
    expect((await api.orders.getOrder({ id: order.id.toUpperCase() })).order?.id).toBe(order.id);
  });
});

describe('UpdateOrderStatus', () => {
  test('walks the lifecycle, bumping the version each time', async () => {
    const order = await create('frank');
    let current = order;
    for (const status of [OrderStatus.ORDER_STATUS_PAID, OrderStatus.ORDER_STATUS_SHIPPED, OrderStatus.ORDER_STATUS_DELIVERED]) {
      // Read twice before each change (a cache hit answers with the response encoded once for that
      // cached order): the next read must still see the change, not the bytes of the old version.
      expect((await api.orders.getOrder({ id: order.id })).order).toEqual(current);
      expect((await api.orders.getOrder({ id: order.id })).order).toEqual(current);
      current = (await api.orders.updateOrderStatus({ id: order.id, status, expectedVersion: current.version })).order!;
      expect(current.status).toBe(status);
    }
    expect(current.version).toBe(4n);
    expect((await api.orders.getOrder({ id: order.id })).order).toEqual(current);
  });

  test('an illegal transition is FAILED_PRECONDITION and changes nothing', async () => {
    const order = await create('grace');
    const error = await failure(api.orders.updateOrderStatus({ id: order.id, status: OrderStatus.ORDER_STATUS_SHIPPED }));
    expect(error.code).toBe('FAILED_PRECONDITION');
    expect(error.details).toMatch(/PENDING to SHIPPED/);
    expect((await api.orders.getOrder({ id: order.id })).order).toEqual(order);
  });

  test('a stale expected_version is ABORTED', async () => {
    const order = await create('heidi');
    await api.orders.updateOrderStatus({ id: order.id, status: OrderStatus.ORDER_STATUS_PAID });
    const error = await failure(
      api.orders.updateOrderStatus({ id: order.id, status: OrderStatus.ORDER_STATUS_CANCELLED, expectedVersion: 1n }),
    );
    expect(error.code).toBe('ABORTED');
  });

  test('a missing status is INVALID_ARGUMENT; an unknown id NOT_FOUND', async () => {
    const order = await create('ivan');
    expect(await failure(api.orders.updateOrderStatus({ id: order.id }))).toMatchObject({ code: 'INVALID_ARGUMENT', fields: ['status'] });
    const missing = await failure(
      api.orders.updateOrderStatus({ id: '01890000-0000-7000-8000-00000000abcd', status: OrderStatus.ORDER_STATUS_PAID }),
    );
    expect(missing.code).toBe('NOT_FOUND');
  });
});

describe('ListOrders', () => {
  test('pages newest first with page tokens and filters by status', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await create('judy'));
    await api.orders.updateOrderStatus({ id: made[0]!.id, status: OrderStatus.ORDER_STATUS_PAID });
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await api.orders.listOrders({ customerId: 'judy', pageSize: 2, pageToken });
      expect(page.orders.length).toBeLessThanOrEqual(2);
      seen.push(...page.orders.map((o) => o.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(seen).toEqual(made.map((o) => o.id).reverse());
    const paid = await api.orders.listOrders({ customerId: 'judy', status: OrderStatus.ORDER_STATUS_PAID });
    expect(paid.orders.map((o) => o.id)).toEqual([made[0]!.id]);
  });

  test('a token reused with other filters, or forged, is INVALID_ARGUMENT on page_token', async () => {
    await create('ken');
    await create('ken');
    const page = await api.orders.listOrders({ customerId: 'ken', pageSize: 1 });
    expect(await failure(api.orders.listOrders({ customerId: 'someone-else', pageSize: 1, pageToken: page.nextPageToken }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      fields: ['page_token'],
    });
    expect((await failure(api.orders.listOrders({ pageToken: 'garbage!' }))).fields).toEqual(['page_token']);
  });

  test('a negative page size is INVALID_ARGUMENT', async () => {
    expect((await failure(api.orders.listOrders({ pageSize: -1 }))).fields).toEqual(['page_size']);
  });
});

describe('CatalogService', () => {
  test('upserts, gets, batch-gets and lists products', async () => {
    const { product } = await api.catalog.upsertProduct({
      product: { id: 'grinder', name: ' Grinder ', price: { currencyCode: 'EUR', amountMinor: 9900n } },
    });
    expect(product).toMatchObject({ id: 'grinder', name: 'Grinder', price: { currencyCode: 'EUR', amountMinor: 9900n } });
    expect((await api.catalog.getProduct({ id: 'grinder' })).product).toEqual(product);
    const batch = await api.catalog.batchGetProducts({ ids: ['tea', 'missing', 'grinder', 'tea'] });
    expect(batch.products.map((p) => p.id)).toEqual(['tea', 'grinder']);
    expect(batch.missingIds).toEqual(['missing']);
    const first = await api.catalog.listProducts({ pageSize: 2 });
    const rest = await api.catalog.listProducts({ pageSize: 10, pageToken: first.nextPageToken });
    expect([...first.products, ...rest.products].map((p) => p.id)).toEqual(['cup', 'espresso', 'grinder', 'tea']);
    expect(rest.nextPageToken).toBe('');
  });

  test('a price change does not reprice existing orders', async () => {
    const order = await create('lena', [{ productId: 'cup', quantity: 1 }]);
    await api.catalog.upsertProduct({ product: { id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 999n } } });
    expect((await api.orders.getOrder({ id: order.id })).order?.total?.amountMinor).toBe(400n);
    await api.catalog.upsertProduct({ product: { id: 'cup', name: 'Cup', price: { currencyCode: 'EUR', amountMinor: 400n } } });
  });

  test('invalid products are INVALID_ARGUMENT with field violations; unknown ids NOT_FOUND', async () => {
    const error = await failure(
      api.catalog.upsertProduct({ product: { id: 'bad id', name: '', price: { currencyCode: 'eur', amountMinor: -1n } } }),
    );
    expect(error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      fields: ['product.id', 'product.name', 'product.price.currency_code', 'product.price.amount_minor'],
    });
    expect((await failure(api.catalog.getProduct({ id: 'nothing-here' }))).code).toBe('NOT_FOUND');
    expect((await failure(api.catalog.batchGetProducts({ ids: [] }))).fields).toEqual(['ids']);
  });
});
