// ExportService over real gRPC on the in-process runner and the memory store (the embedded
// default's code path): create -> watch -> SUCCEEDED -> download, checked against ListOrders;
// idempotency; another customer's job; an interrupted download resumed from its offset; the
// error table. A second server queues on BullMQ (real Redis) with no worker, so its job stays
// QUEUED and a download of it is FAILED_PRECONDITION without any timing.
import { Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ExportFormat, ExportJobStatus } from '../../src/gen/orderflow/exports/v1/export_service.js';
import { Order, OrderStatus, orderStatusToJSON, type ImportOrdersRequest } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { connect, type Clients } from '../support/clients.js';
import { download, expectedCsvRow, listAll, parseCsv, sha256Hex, watchToEnd } from '../support/exports.js';
import { failure } from '../support/grpc-errors.js';
import { deleteByPrefix, REDIS, uniquePrefix } from '../support/redis.js';
import { serviceAvailable } from '../support/required-services.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { AUDIENCE, hs256Token, ISSUER, randomSecret } from '../support/tokens.js';

const secret = randomSecret();
const authConfig = {
  auth: { enabled: true, jwt: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], hs256Secret: { fromEnv: 'TEST_HS256' } } },
  limits: { ratePerSecond: 10_000, rateBurst: 10_000 },
};
const READ_WRITE = ['orders:read', 'orders:write'];

let app: TestApp;
let api: Clients;
let admin: { metadata: Metadata };
let alice: { metadata: Metadata };
let bob: { metadata: Metadata };

const bearer = async (subject: string, scopes: string[]) => ({
  metadata: Metadata({ authorization: `Bearer ${await hs256Token(secret, { subject, scopes })}` }),
});

async function importOrders(customerId: string, count: number) {
  async function* requests(): AsyncGenerator<ImportOrdersRequest> {
    for (let i = 0; i < count; i++)
      yield {
        order: {
          customerId,
          items: [
            { productId: 'espresso', quantity: 1 + (i % 3) },
            { productId: 'cup', quantity: 1 },
          ],
          idempotencyKey: '',
        },
      };
  }
  const result = await api.orders.importOrders(requests(), admin);
  expect(result.created).toBe(count);
  return result.orders.map((o) => o.orderId);
}

beforeAll(async () => {
  app = await startTestApp({ env: { TEST_HS256: secret }, config: { ...authConfig, exports: { pageSize: 64, progressIntervalMs: 1 } } });
  api = connect(app.grpcAddress);
  admin = await bearer('staff', [...READ_WRITE, 'orders:admin']);
  alice = await bearer('alice', READ_WRITE);
  bob = await bearer('bob', READ_WRITE);
  const ids = await importOrders('alice', 700); // about 70 KB of CSV: two chunks
  for (const id of ids.slice(0, 40)) await api.orders.updateOrderStatus({ id, status: OrderStatus.ORDER_STATUS_PAID }, admin);
  await importOrders('bob', 5);
}, 120_000);

afterAll(async () => {
  api.close();
  await app.stop();
});

async function exportToEnd(
  request: { format: ExportFormat; customerId?: string; status?: OrderStatus; idempotencyKey?: string },
  who = alice,
) {
  const { job } = await api.exports.exportOrders(
    { customerId: '', status: OrderStatus.ORDER_STATUS_UNSPECIFIED, idempotencyKey: '', ...request },
    who,
  );
  const states = await watchToEnd(api, job!.id, who);
  return { job: job!, states, final: states.at(-1)! };
}

describe('ExportService on the in-process runner', () => {
  test('a CSV export: watched to SUCCEEDED, downloaded, the same rows as ListOrders, its SHA-256 and size as reported', async () => {
    const { job, states, final } = await exportToEnd({ format: ExportFormat.EXPORT_FORMAT_CSV });
    expect(job.status).toBe(ExportJobStatus.EXPORT_JOB_STATUS_QUEUED);
    expect(job.format).toBe(ExportFormat.EXPORT_FORMAT_CSV);
    expect(states.slice(0, -1).every((s) => s.status !== ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED)).toBe(true);
    expect(final).toMatchObject({
      id: job.id,
      status: ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED,
      ordersTotal: 700n,
      ordersDone: 700n,
      error: '',
    });
    const { chunks, data } = await download(api, job.id, alice);
    expect(chunks.length).toBe(2);
    expect(chunks.every((c) => c.data.length <= 65_536)).toBe(true);
    expect(chunks.map((c) => c.offset)).toEqual([0n, BigInt(chunks[0]!.data.length)]);
    expect(BigInt(data.length)).toBe(final.sizeBytes);
    expect(sha256Hex(data)).toBe(final.sha256);

    const rows = parseCsv(data.toString('utf8'));
    expect(rows[0]).toEqual([
      'order_id',
      'customer_id',
      'status',
      'version',
      'currency_code',
      'total_minor',
      'item_count',
      'items',
      'create_time',
      'update_time',
    ]);
    const listed = await listAll(api, { customerId: '', status: OrderStatus.ORDER_STATUS_UNSPECIFIED }, alice);
    expect(listed.length).toBe(700);
    expect(rows.slice(1)).toEqual(listed.map((o) => expectedCsvRow(o, orderStatusToJSON(o.status).replace('ORDER_STATUS_', ''))));
  });

  test('an NDJSON export holds one proto3-JSON Order a line, as ListOrders returns them, filtered by status', async () => {
    const { final } = await exportToEnd({ format: ExportFormat.EXPORT_FORMAT_NDJSON, status: OrderStatus.ORDER_STATUS_PAID });
    expect(final).toMatchObject({ status: ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ordersDone: 40n });
    const { data } = await download(api, final.id, alice);
    expect(sha256Hex(data)).toBe(final.sha256);
    const lines = data.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    const listed = await listAll(api, { customerId: '', status: OrderStatus.ORDER_STATUS_PAID }, alice);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(listed.map((o) => Order.toJSON(o)));
    expect(lines.map((l) => Order.fromJSON(JSON.parse(l))).map((o) => o.id)).toEqual(listed.map((o) => o.id));
  });

  test('a download interrupted after its first chunk resumes from the next offset; together they are the file', async () => {
    const { final } = await exportToEnd({ format: ExportFormat.EXPORT_FORMAT_CSV });
    const first = await download(api, final.id, { ...alice, stopAfterChunks: 1 });
    expect(first.chunks.length).toBe(1);
    const rest = await download(api, final.id, { ...alice, offset: BigInt(first.data.length) });
    expect(rest.chunks[0]?.offset).toBe(BigInt(first.data.length));
    const whole = Buffer.concat([first.data, rest.data]);
    expect(sha256Hex(whole)).toBe(final.sha256);
    const middle = await download(api, final.id, { ...alice, offset: 1000n });
    expect(middle.data.equals(whole.subarray(1000))).toBe(true);
    expect((await download(api, final.id, { ...alice, offset: final.sizeBytes })).chunks).toEqual([]);
    expect(await failure(download(api, final.id, { ...alice, offset: final.sizeBytes + 1n }))).toMatchObject({ code: 'OUT_OF_RANGE' });
  });

  test('the same caller and key return the same job; the key with another format is ALREADY_EXISTS', async () => {
    const request = {
      customerId: '',
      status: OrderStatus.ORDER_STATUS_UNSPECIFIED,
      format: ExportFormat.EXPORT_FORMAT_CSV,
      idempotencyKey: 'nightly-1',
    };
    const a = await api.exports.exportOrders(request, alice);
    const b = await api.exports.exportOrders(request, alice);
    expect(b.job?.id).toBe(a.job?.id);
    const other = await api.exports.exportOrders(request, bob);
    expect(other.job?.id).not.toBe(a.job?.id);
    expect(await failure(api.exports.exportOrders({ ...request, format: ExportFormat.EXPORT_FORMAT_NDJSON }, alice))).toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await watchToEnd(api, a.job!.id, alice);
  });

  test("a customer's export holds only its own orders; another customer's job is NOT_FOUND everywhere; an admin sees it", async () => {
    const { final } = await exportToEnd({ format: ExportFormat.EXPORT_FORMAT_CSV }, bob);
    expect(final.ordersDone).toBe(5n);
    const rows = parseCsv((await download(api, final.id, bob)).data.toString('utf8')).slice(1);
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['bob']));
    expect(await failure(api.exports.getExportJob({ id: final.id }, alice))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await failure(watchToEnd(api, final.id, alice))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await failure(download(api, final.id, alice))).toMatchObject({ code: 'NOT_FOUND' });
    expect((await api.exports.getExportJob({ id: final.id }, admin)).job?.id).toBe(final.id);
    expect(
      await failure(
        api.exports.exportOrders({ customerId: 'bob', status: 0, format: ExportFormat.EXPORT_FORMAT_CSV, idempotencyKey: '' }, alice),
      ),
    ).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  test('bad input is INVALID_ARGUMENT naming the field; an unknown job is NOT_FOUND; the scope is orders:read', async () => {
    expect(
      await failure(
        api.exports.exportOrders({ customerId: '', status: 0, format: ExportFormat.EXPORT_FORMAT_UNSPECIFIED, idempotencyKey: '' }, alice),
      ),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', fields: ['format'] });
    expect(
      await failure(api.exports.exportOrders({ customerId: '', status: 0, format: 7 as ExportFormat, idempotencyKey: '' }, alice)),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', fields: ['format'] });
    expect(
      await failure(
        api.exports.exportOrders(
          { customerId: '', status: 0, format: ExportFormat.EXPORT_FORMAT_CSV, idempotencyKey: 'k'.repeat(129) },
          alice,
        ),
      ),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', fields: ['idempotency_key'] });
    expect(await failure(api.exports.getExportJob({ id: 'nope' }, alice))).toMatchObject({ code: 'INVALID_ARGUMENT', fields: ['id'] });
    expect(await failure(api.exports.getExportJob({ id: '00000000-0000-7000-8000-00000000ffff' }, alice))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await failure(download(api, '00000000-0000-7000-8000-00000000ffff', { ...alice, offset: -1n }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      fields: ['offset'],
    });
    const writer = await bearer('carol', ['orders:write']);
    expect(await failure(api.exports.getExportJob({ id: '00000000-0000-7000-8000-00000000ffff' }, writer))).toMatchObject({
      code: 'PERMISSION_DENIED',
    });
  });

  test('metrics count attempts by result and jobs by status', async () => {
    const text = await (await fetch(`${app.adminUrl}/metrics`)).text();
    expect(text).toMatch(/orderflow_export_attempts_total\{result="succeeded"\} [1-9]/);
    expect(text).toMatch(/orderflow_export_jobs\{status="SUCCEEDED"\} [1-9]/);
    expect(text).toMatch(/orderflow_export_queue_depth 0/);
  });
});

const redisUp = await serviceAvailable('Redis', REDIS.host, REDIS.port);

describe.skipIf(!redisUp)('ExportService with jobs left to workers (BullMQ, none running)', () => {
  const prefix = uniquePrefix('exports-e2e');
  let queued: TestApp;
  let client: Clients;

  beforeAll(async () => {
    queued = await startTestApp({
      env: { TEST_HS256: secret },
      config: { ...authConfig, services: { exports: false }, exports: { queue: { kind: 'bullmq', ...REDIS, prefix, queueName: 'e2e' } } },
    });
    client = connect(queued.grpcAddress);
  });

  afterAll(async () => {
    client.close();
    await queued.stop();
    await deleteByPrefix(prefix);
  });

  test('the job stays QUEUED (and is dispatched to the queue); downloading it is FAILED_PRECONDITION', async () => {
    const { job } = await client.exports.exportOrders(
      { customerId: '', status: 0, format: ExportFormat.EXPORT_FORMAT_CSV, idempotencyKey: '' },
      alice,
    );
    expect(job?.status).toBe(ExportJobStatus.EXPORT_JOB_STATUS_QUEUED);
    expect(await failure(download(client, job!.id, alice))).toMatchObject({ code: 'FAILED_PRECONDITION' });
    const depth = async () => /orderflow_export_queue_depth 1\b/.test(await (await fetch(`${queued.adminUrl}/metrics`)).text());
    const { until } = await import('../support/until.js');
    await until('the job waits in the BullMQ queue', depth);
    expect((await client.exports.getExportJob({ id: job!.id }, alice)).job?.status).toBe(ExportJobStatus.EXPORT_JOB_STATUS_QUEUED);
  });
});
