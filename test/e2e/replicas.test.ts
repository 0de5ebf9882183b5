// Two replicas as real server processes on one fresh PostgreSQL database: a WatchOrders stream on
// each while orders are created through the other. Every event arrives, in order, without a
// duplicate, in both directions; with the safety-net catch-up an hour away, only LISTEN/NOTIFY
// can have carried them. Then a replica is killed mid-stream and started again, and a watcher that
// resumes from the last sequence it received sees no gap and no duplicate.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OrderEvent, WatchOrdersResponse } from '../../src/gen/orderflow/orders/v1/order_service.js';
import { reader } from '../support/async-queue.js';
import { type Clients, connect } from '../support/clients.js';
import { POSTGRES, postgresAdmin as admin, serviceAvailable } from '../support/required-services.js';
import { startServerProcess } from '../support/server-process.js';
import { testConfigDocument } from '../support/test-app.js';

const available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
const database = `orderflow_replicas_${randomBytes(4).toString('hex')}`;
const config = testConfigDocument(
  { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database, migrate: true },
  { log: { level: 'info' }, events: { catchUpIntervalMs: 3_600_000 } },
);

type Replica = Awaited<ReturnType<typeof startServerProcess>> & { api: Clients };
const running: Replica[] = [];

async function startReplica(): Promise<Replica> {
  const server = await startServerProcess(config);
  const replica = { ...server, api: connect(server.grpcAddress) };
  running.push(replica);
  return replica;
}

async function stopReplica(replica: Replica): Promise<void> {
  replica.api.close();
  replica.child.kill('SIGKILL');
  await replica.exited;
  replica.cleanup();
  running.splice(running.indexOf(replica), 1);
}

const create = (api: Clients, customerId: string, i: number) =>
  api.orders.createOrder({ customerId, items: [{ productId: 'cup', quantity: 1 + (i % 3) }], idempotencyKey: `${customerId}-${i}` });

const sequences = (responses: WatchOrdersResponse[]) => responses.map((r) => (r.event as OrderEvent).sequence);
const range = (from: bigint, count: number) => Array.from({ length: count }, (_, i) => from + BigInt(i));

describe.skipIf(!available)('two replicas on one PostgreSQL database', () => {
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    a = await startReplica();
    b = await startReplica();
  });

  afterAll(async () => {
    for (const replica of [...running]) await stopReplica(replica);
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  test('a watcher on each replica gets every event of orders created on the other, in order, once', async () => {
    // Each watcher is live (past its replay) once it has the first event.
    await create(a.api, 'first', 0);
    const onA = reader(a.api.orders.watchOrders({}));
    const onB = reader(b.api.orders.watchOrders({}));
    expect(sequences(await onA.take(1))).toEqual([1n]);
    expect(sequences(await onB.take(1))).toEqual([1n]);

    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await create(i % 2 === 0 ? a.api : b.api, 'both', i)).order?.id ?? '');
    for (const watcher of [onA, onB]) {
      const got = await watcher.take(20);
      expect(sequences(got)).toEqual(range(2n, 20));
      expect(got.map((r) => r.event?.order?.id)).toEqual(ids);
    }
    // Nothing more than that: the next event each gets is the next one created.
    await create(b.api, 'both', 99);
    expect(sequences(await onA.take(1))).toEqual([22n]);
    expect(sequences(await onB.take(1))).toEqual([22n]);
    expect([onA.pending(), onB.pending()]).toEqual([0, 0]);
  });

  test('a replica killed mid-stream and started again: its watcher resumes from the last sequence with no gap and no duplicate', async () => {
    const first = reader(b.api.orders.watchOrders({ customerId: 'restart' }));
    await create(a.api, 'restart', 0);
    const before = await first.take(1);
    const last = (before[0]?.event as OrderEvent).sequence;

    await stopReplica(b);
    expect(await first.end()).toMatchObject({ code: 14 }); // UNAVAILABLE: the connection is gone
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await create(a.api, 'restart', i)).order?.id ?? ''); // while b is down
    b = await startReplica();
    const resumed = reader(b.api.orders.watchOrders({ customerId: 'restart', afterSequence: last }));
    const replayed = await resumed.take(5);
    for (let i = 6; i <= 10; i++) ids.push((await create(a.api, 'restart', i)).order?.id ?? ''); // live, through LISTEN on the new b
    const live = await resumed.take(5);
    const all = [...replayed, ...live];
    expect(sequences(all)).toEqual(range(last + 1n, 10));
    expect(all.map((r) => r.event?.order?.id)).toEqual(ids);
  });
});
