// Well-framed messages with hostile content: invalid UTF-8 in string fields (proto3 strings must be
// UTF-8), NUL characters (PostgreSQL text cannot hold them) and forged page tokens. Each must be
// refused as the caller's mistake, never stored and never turned into INTERNAL.
import type { Client } from '@grpc/grpc-js';
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Order } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { type Clients, connect } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { varint } from './fuzz-inputs.js';
import { expectIntactAfterAbuse, heapUsed } from './invariants.js';
import { rawCall, rawClient, statusName } from './raw-calls.js';
import { bearer, type HostileApp, PATIENT_MS, startHostileApp } from './support.js';

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

const field = (no: number, bytes: ArrayLike<number>) => [
  ...varint(BigInt(no * 8 + 2)),
  ...varint(BigInt(bytes.length)),
  ...Array.from(bytes),
];
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const INVALID_UTF8 = [0xff, 0xfe];
/** CreateOrderRequest{customer_id, items: [{product_id: "cup", quantity: 1}], idempotency_key}, by hand. */
const createOrder = (customer: ArrayLike<number>, key: ArrayLike<number> = []) =>
  Uint8Array.from([...field(1, customer), ...field(2, [...field(1, utf8('cup')), 0x10, 0x01]), ...(key.length > 0 ? field(3, key) : [])]);

async function everyOrder(): Promise<Order[]> {
  const orders: Order[] = [];
  let pageToken = '';
  do {
    const page = await api.orders.listOrders({ pageSize: 500, pageToken }, { metadata });
    orders.push(...page.orders);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return orders;
}

describe('invalid UTF-8 in string fields', () => {
  const CASES = [
    { name: 'CreateOrder customer_id', path: 'CreateOrder', kind: 'unary' as const, body: createOrder(INVALID_UTF8) },
    {
      name: 'CreateOrder idempotency_key',
      path: 'CreateOrder',
      kind: 'unary' as const,
      body: createOrder(utf8('utf8-key-owner'), INVALID_UTF8),
    },
    {
      name: 'ImportOrders order.customer_id',
      path: 'ImportOrders',
      kind: 'client' as const,
      body: Uint8Array.from(field(1, createOrder(INVALID_UTF8))),
    },
  ];
  for (const { name, path, kind, body } of CASES) {
    test(`${name} 0xff 0xfe: refused, and no order is stored`, async () => {
      const before = new Set((await everyOrder()).map((o) => o.id));
      const outcome = await rawCall(raw, {
        path: `/orderflow.orders.v1.OrderService/${path}`,
        kind,
        messages: [body],
        metadata: bearer(app.adminToken),
        deadlineMs: PATIENT_MS,
      });
      const stored = (await everyOrder()).filter((o) => !before.has(o.id));
      expect(
        stored.map((o) => ({ customerId: o.customerId, id: o.id })),
        'orders stored from invalid UTF-8',
      ).toEqual([]);
      const code = outcome.hung ? 'HUNG' : statusName(outcome.code);
      // An import reports a bad item in its OK response; the check that matters is the one above.
      expect(kind === 'client' ? ['OK', 'INVALID_ARGUMENT', 'INTERNAL'] : ['INVALID_ARGUMENT', 'INTERNAL']).toContain(code);
    });
  }
});

describe('NUL characters in string fields', () => {
  const NUL = 'a\u0000b';
  const cases: [string, () => Promise<unknown>, string][] = [
    ['ListOrders customer_id', () => api.orders.listOrders({ customerId: NUL }, { metadata }), 'customer_id'],
    [
      'CreateOrder items[0].product_id',
      () => api.orders.createOrder({ customerId: 'nul', items: [{ productId: NUL, quantity: 1 }] }, { metadata }),
      'items[0].product_id',
    ],
    [
      'UpsertProduct product.name',
      () => api.catalog.upsertProduct({ product: { id: 'nul', name: NUL, price: { currencyCode: 'EUR', amountMinor: 1n } } }, { metadata }),
      'product.name',
    ],
    ['GetOrder id', () => api.orders.getOrder({ id: NUL }, { metadata }), 'id'],
    ['GetProduct id', () => api.catalog.getProduct({ id: NUL }, { metadata }), 'id'],
    [
      'WatchOrders customer_id',
      async () => {
        for await (const _ of api.orders.watchOrders({ customerId: NUL }, { metadata, deadline: PATIENT_MS })) return;
      },
      'customer_id',
    ],
  ];
  for (const [name, call, fieldName] of cases) {
    test(`${name}: INVALID_ARGUMENT naming ${fieldName}`, async () => {
      const error = await failure(call());
      expect([error.code, error.fields]).toEqual(['INVALID_ARGUMENT', expect.arrayContaining([fieldName])]);
    });
  }

  test('ImportOrders: an item with a NUL product id is reported, and the stream goes on', async () => {
    async function* items() {
      yield { order: { customerId: 'nul-import', items: [{ productId: NUL, quantity: 1 }] } };
      yield { order: { customerId: 'nul-import', items: [{ productId: 'cup', quantity: 1 }] } };
    }
    const result = await api.orders.importOrders(items(), { metadata });
    expect(result).toMatchObject({ created: 1, failed: 1, errors: [{ index: 0, code: 'INVALID_ARGUMENT' }] });
  });
});

describe('forged page tokens', () => {
  const token = (content: unknown) => Buffer.from(JSON.stringify(content)).toString('base64url');
  const cases: [string, () => Promise<unknown>][] = [
    [
      'ListOrders, last is no UUID',
      () => api.orders.listOrders({ pageToken: token({ v: 1, last: 'not-a-uuid', filter: '["",""]' }) }, { metadata }),
    ],
    [
      'ListOrders, last holds a NUL',
      () => api.orders.listOrders({ pageToken: token({ v: 1, last: '\u0000', filter: '["",""]' }) }, { metadata }),
    ],
    [
      'ListProducts, last holds a NUL',
      () => api.catalog.listProducts({ pageToken: token({ v: 1, last: 'a\u0000', filter: '' }) }, { metadata }),
    ],
    ['ListOrders, not base64url JSON', () => api.orders.listOrders({ pageToken: '%%%\u00ff' }, { metadata })],
    [
      'ListProducts, JSON of the wrong shape',
      () => api.catalog.listProducts({ pageToken: token({ v: 1, last: 42, filter: [] }) }, { metadata }),
    ],
  ];
  for (const [name, call] of cases) {
    test(`${name}: INVALID_ARGUMENT naming page_token`, async () => {
      const error = await failure(call());
      expect([error.code, error.fields]).toEqual(['INVALID_ARGUMENT', ['page_token']]);
    });
  }
});

test('the server is intact afterwards: health, a real order, heap, whole orders, gap-free events', async () => {
  await expectIntactAfterAbuse(app, baseline);
});
