// Size and count limits under hostile load: messages above grpc.maxReceiveMessageBytes on every
// call kind, huge repeated fields within the size limit, an import stream past maxImportItems,
// and numbers at the edges of their types. Each must be refused with the right status, without
// reading what follows the limit. (How fast is not asserted: CI runs on a busy machine.)
import type { Client } from '@grpc/grpc-js';
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GetProductRequest } from '../../src/gen/orderflow/catalog/v1/catalog_service.js';
import {
  CreateOrderRequest,
  ImportOrdersRequest,
  OrderServiceDefinition,
  type OrderStatus,
  TrackOrdersRequest,
  WatchOrdersRequest,
} from '../../src/gen/orderflow/orders/v1/order_service.js';
import { type Clients, connect } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { sample, scrape } from '../support/scrape.js';
import { expectIntactAfterAbuse, heapUsed } from './invariants.js';
import { kindOf, rawCall, rawClient, statusName } from './raw-calls.js';
import { until } from '../support/until.js';
import { bearer, type HostileApp, MAX_MESSAGE_BYTES, PATIENT_MS, startHostileApp } from './support.js';

let app: HostileApp;
let api: Clients;
let raw: Client;
let metadata: Metadata;
let baseline: Awaited<ReturnType<typeof heapUsed>>;

beforeAll(async () => {
  app = await startHostileApp();
  api = connect(app.grpcAddress);
  raw = rawClient(app.grpcAddress);
  metadata = Metadata({ authorization: `Bearer ${app.adminToken}` });
  baseline = await heapUsed(app);
});

afterAll(async () => {
  raw?.close();
  api?.close();
  await app?.stop();
});

const big = 'x'.repeat(MAX_MESSAGE_BYTES + 4096);
const methods = OrderServiceDefinition.methods;
const OVERSIZED = [
  { method: methods.createOrder, bytes: CreateOrderRequest.encode({ customerId: big, items: [], idempotencyKey: '' }).finish() },
  {
    method: methods.importOrders,
    bytes: ImportOrdersRequest.encode({ order: { customerId: big, items: [], idempotencyKey: '' } }).finish(),
  },
  { method: methods.watchOrders, bytes: WatchOrdersRequest.encode({ customerId: big, afterSequence: 0n }).finish() },
  { method: methods.trackOrders, bytes: TrackOrdersRequest.encode({ action: { $case: 'trackOrderId', value: big } }).finish() },
];

describe('messages above grpc.maxReceiveMessageBytes', () => {
  for (const { method, bytes } of OVERSIZED) {
    test(`${method.name} (${kindOf(method)}): RESOURCE_EXHAUSTED, and the server keeps serving`, async () => {
      const path = `/${OrderServiceDefinition.fullName}/${method.name}`;
      const outcome = await rawCall(raw, {
        path,
        kind: kindOf(method),
        messages: [bytes],
        metadata: bearer(app.adminToken),
        deadlineMs: PATIENT_MS,
      });
      expect(outcome.hung ? 'HUNG' : statusName(outcome.code)).toBe('RESOURCE_EXHAUSTED');
      const small = await rawCall(raw, {
        path: '/orderflow.catalog.v1.CatalogService/GetProduct',
        kind: 'unary',
        messages: [GetProductRequest.encode({ id: 'cup' }).finish()],
        metadata: bearer(app.adminToken),
        deadlineMs: PATIENT_MS,
      });
      expect(small.hung ? 'HUNG' : statusName(small.code)).toBe('OK');
    });
  }

  // The access log and grpc_server_handled_total are how operators see hostile traffic: a refusal
  // made inside grpc-js must be recorded with the status the client got, not as a cancellation.
  test('refusals made inside grpc-js are counted with the status the client got', async () => {
    const path = '/orderflow.catalog.v1.CatalogService/GetProduct';
    const undecodable = await rawCall(raw, {
      path,
      kind: 'unary',
      messages: [Uint8Array.from([0x0a, 0x05, 0x01])],
      metadata: bearer(app.adminToken),
      deadlineMs: PATIENT_MS,
    });
    expect(undecodable.hung ? 'HUNG' : statusName(undecodable.code)).toBe('INVALID_ARGUMENT'); // decoded by the service, not grpc-js
    const oversized = OVERSIZED.map(({ method }) => method.name);
    const expected = {
      GetProduct: { InvalidArgument: 1, Canceled: 0 },
      ...Object.fromEntries(oversized.map((m) => [m, { ResourceExhausted: 1, Canceled: 0 }])),
    };
    let seen: unknown;
    // The interceptor records a call when grpc-js reports its end, after the client has its status.
    await until('every refused call is counted', async () => {
      const text = (await scrape(app.adminUrl)).text;
      const counts = (method: string, code: string) => ({
        [code]: sample(text, 'grpc_server_handled_total', { grpc_method: method, grpc_code: code }),
        Canceled: sample(text, 'grpc_server_handled_total', { grpc_method: method, grpc_code: 'Canceled' }),
      });
      seen = {
        GetProduct: counts('GetProduct', 'InvalidArgument'),
        ...Object.fromEntries(oversized.map((m) => [m, counts(m, 'ResourceExhausted')])),
      };
      return JSON.stringify(seen) === JSON.stringify(expected);
    }).catch(() => {});
    expect(seen).toEqual(expected);
  });
});

describe('huge repeated fields within the size limit', () => {
  test('CreateOrder with 5000 one-byte product ids: INVALID_ARGUMENT naming items', async () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({ productId: String.fromCharCode(97 + (i % 26)), quantity: 1 }));
    expect(CreateOrderRequest.encode({ customerId: 'huge', items, idempotencyKey: '' }).finish().length).toBeLessThan(MAX_MESSAGE_BYTES);
    const error = await failure(api.orders.createOrder({ customerId: 'huge', items }, { metadata }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.fields).toContain('items');
  });

  test('BatchGetProducts with 10,000 ids: INVALID_ARGUMENT naming ids', async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => String.fromCharCode(97 + (i % 26)));
    const error = await failure(api.catalog.batchGetProducts({ ids }, { metadata }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.fields).toContain('ids');
  });

  test('an ImportOrders stream past maxImportItems stops reading and reports the rest as refused', async () => {
    async function* invalidItems() {
      for (let i = 0; i < 1500; i++) yield { order: { customerId: '', items: [] } };
    }
    const result = await api.orders.importOrders(invalidItems(), { metadata, deadline: PATIENT_MS });
    expect(result).toMatchObject({ created: 0, duplicates: 0, failed: 1001 });
    expect(result.errors.at(-1)).toMatchObject({ index: 1000, code: 'RESOURCE_EXHAUSTED' });
  });
});

describe('numbers at the edges of their types', () => {
  const NO_SUCH_ORDER = '0190a6e2-5c3b-7d4e-8f00-1a2b3c4d5e6f';
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      'quantity 2^31-1',
      () => api.orders.createOrder({ customerId: 'edge', items: [{ productId: 'cup', quantity: 2 ** 31 - 1 }] }, { metadata }),
      'items[0].quantity',
    ],
    [
      'quantity -2^31',
      () => api.orders.createOrder({ customerId: 'edge', items: [{ productId: 'cup', quantity: -(2 ** 31) }] }, { metadata }),
      'items[0].quantity',
    ],
    ['page_size -1', () => api.orders.listOrders({ pageSize: -1 }, { metadata }), 'page_size'],
    [
      'expected_version -1',
      () => api.orders.updateOrderStatus({ id: NO_SUCH_ORDER, status: 2, expectedVersion: -1n }, { metadata }),
      'expected_version',
    ],
    [
      'status 99 in an update',
      () => api.orders.updateOrderStatus({ id: NO_SUCH_ORDER, status: 99 as OrderStatus }, { metadata }),
      'status',
    ],
    [
      'price amount -1',
      () =>
        api.catalog.upsertProduct(
          { product: { id: 'edge', name: 'Edge', price: { currencyCode: 'EUR', amountMinor: -1n } } },
          { metadata },
        ),
      'product.price.amount_minor',
    ],
  ];
  for (const [name, call, field] of cases) {
    test(`${name}: INVALID_ARGUMENT naming ${field}`, async () => {
      const error = await failure(call());
      expect([error.code, error.fields]).toEqual(['INVALID_ARGUMENT', expect.arrayContaining([field])]);
    });
  }

  test('after_sequence -1 ends WatchOrders with INVALID_ARGUMENT', async () => {
    const watch = async () => {
      for await (const _ of api.orders.watchOrders({ afterSequence: -1n }, { metadata, deadline: PATIENT_MS })) return;
    };
    expect((await failure(watch())).code).toBe('INVALID_ARGUMENT');
  });

  test('a total beyond int64 (price 2^63-1, quantity 2) is INVALID_ARGUMENT, not an overflow', async () => {
    const price = { currencyCode: 'EUR', amountMinor: 2n ** 63n - 1n };
    await api.catalog.upsertProduct({ product: { id: 'priciest', name: 'Priciest', price } }, { metadata });
    const error = await failure(
      api.orders.createOrder({ customerId: 'edge', items: [{ productId: 'priciest', quantity: 2 }] }, { metadata }),
    );
    expect([error.code, error.fields]).toEqual(['INVALID_ARGUMENT', ['items']]);
  });

  test('page_size 2^31-1 is clamped, not refused or allocated', async () => {
    const page = await api.orders.listOrders({ pageSize: 2 ** 31 - 1 }, { metadata });
    expect(page.orders.length).toBeLessThanOrEqual(500);
  });
});

test('the server is intact afterwards: health, a real order, heap, whole orders, gap-free events', async () => {
  await expectIntactAfterAbuse(app, baseline);
});
