// Where an in-process export spends main-thread time per page (exports.pageSize 500 orders shaped
// like bench/exports.ts's: two items, ~150 bytes of CSV each): reading the page from an embedded
// PGlite store (main-thread time only, from event-loop utilisation: the query itself runs in
// PGlite's worker thread), encoding (CSV, NDJSON), TextEncoder, SHA-256, chunk assembly, and the
// sending side of postMessage (structured clone) for the shapes a worker thread could be given.
// Medians over --iterations pages, in microseconds.
//   npx tsx bench/export-page-costs.ts [--iterations 300]
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MessageChannel } from 'node:worker_threads';
import { ORDER_ENCODERS } from '../src/adapters/export-encoders.js';
import { toColumns } from '../src/adapters/order-columns.js';
import { openPgliteDriver } from '../src/adapters/postgres/pglite-driver.js';
import { openSqlStore } from '../src/adapters/postgres/postgres-store.js';
import type { Order } from '../src/domain/order.js';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '300' } } });
const N = Number(values.iterations);
const PAGE = 500;

function order(i: number): Order {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1000);
  return {
    id: `01900000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
    customerId: `customer-${i % 100}`,
    items: [
      { productId: 'espresso', quantity: 2, unitPrice: { currencyCode: 'EUR', amountMinor: 1250n } },
      { productId: `cup-${i % 13}`, quantity: 1, unitPrice: { currencyCode: 'EUR', amountMinor: BigInt(400 + (i % 7)) } },
    ],
    total: { currencyCode: 'EUR', amountMinor: BigInt(2900 + (i % 7)) },
    status: 'PENDING',
    version: 1n,
    idempotencyKey: '',
    createTime: at,
    updateTime: at,
  };
}

function median(run: () => void): number {
  for (let i = 0; i < 20; i++) run();
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    run();
    times.push((performance.now() - t) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const orders = Array.from({ length: PAGE }, (_, i) => order(i + 1));
const text = new TextEncoder();
const csvText = orders.map((o) => ORDER_ENCODERS.CSV.encode(o)).join('');
const ndjsonText = orders.map((o) => ORDER_ENCODERS.NDJSON.encode(o)).join('');
const csvBytes = text.encode(csvText);
const { port1, port2 } = new MessageChannel();
port2.on('message', () => undefined);
port2.unref();
const flat = () => {
  // The page as columns of primitives: no per-order objects, Dates or bigints to clone.
  const cols = {
    id: [] as string[],
    customer: [] as string[],
    status: [] as string[],
    nums: [] as string[],
    times: new Float64Array(PAGE * 2),
  };
  orders.forEach((o, i) => {
    cols.id.push(o.id);
    cols.customer.push(o.customerId);
    cols.status.push(o.status);
    cols.nums.push(
      `${o.version}|${o.total.currencyCode}|${o.total.amountMinor}|${o.items.map((it) => `${it.productId}*${it.quantity}@${it.unitPrice.amountMinor}`).join(';')}`,
    );
    cols.times[2 * i] = o.createTime.getTime();
    cols.times[2 * i + 1] = o.updateTime.getTime();
  });
  return cols;
};

/** The page as flat columns of primitives (the worker rebuilds the Orders): what export-encode-pool.ts sends. */
const columns = () => toColumns(orders);

const results: Record<string, number> = {
  'generic columns + postMessage': median(() => port1.postMessage(columns())),
  'encode CSV (500 orders, map+join)': median(() => void orders.map((o) => ORDER_ENCODERS.CSV.encode(o)).join('')),
  'encode NDJSON (500 orders)': median(() => void orders.map((o) => ORDER_ENCODERS.NDJSON.encode(o)).join('')),
  'TextEncoder.encode (CSV page)': median(() => void text.encode(csvText)),
  'TextEncoder.encode (NDJSON page)': median(() => void text.encode(ndjsonText)),
  'SHA-256 update (CSV page bytes)': median(() => void createHash('sha256').update(csvBytes)),
  'chunk assembly (copy CSV page into 64 KiB chunks)': median(() => {
    let chunk = new Uint8Array(65536);
    let filled = 0;
    for (let at = 0; at < csvBytes.length;) {
      const n = Math.min(65536 - filled, csvBytes.length - at);
      chunk.set(csvBytes.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === 65536) {
        chunk = new Uint8Array(65536);
        filled = 0;
      }
    }
  }),
  'postMessage(500 domain Orders) sender side': median(() => port1.postMessage(orders)),
  'flatten to columns + postMessage': median(() => port1.postMessage(flat())),
  'postMessage(CSV page string)': median(() => port1.postMessage(csvText)),
  'postMessage(CSV page bytes, copied)': median(() => port1.postMessage(csvBytes)),
};

// Reading a page from PGlite: main-thread busy time (event-loop utilisation) of orders.list.
const dir = mkdtempSync(join(tmpdir(), 'orderflow-page-costs-'));
try {
  const driver = await openPgliteDriver(join(dir, 'data'));
  const store = await openSqlStore(driver, { migrate: true });
  for (let i = 0; i < 4; i++) {
    const page = Array.from({ length: PAGE }, (_, j) => order(i * PAGE + j + 1));
    for (const o of page) await store.orders.create(o);
  }
  const busy: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < Math.min(N, 100); i++) {
    const elu = performance.eventLoopUtilization();
    const t = performance.now();
    const page = await store.orders.list({ customerId: undefined, status: undefined, beforeId: '', limit: PAGE });
    wall.push((performance.now() - t) * 1000);
    busy.push(performance.eventLoopUtilization(elu).active * 1000);
    if (page.length !== PAGE) throw new Error(`read ${page.length}`);
  }
  busy.sort((a, b) => a - b);
  wall.sort((a, b) => a - b);
  results['PGlite orders.list(500): main-thread busy'] = busy[busy.length >> 1]!;
  results['PGlite orders.list(500): wall time'] = wall[wall.length >> 1]!;
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
port1.close();
console.log(
  JSON.stringify(
    {
      pageOrders: PAGE,
      csvPageBytes: csvBytes.length,
      medianMicroseconds: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v)])),
    },
    null,
    2,
  ),
);
