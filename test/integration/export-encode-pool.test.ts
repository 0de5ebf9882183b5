// The worker-thread pool that encodes export pages (exports.encodeThreads): threads start on first
// use; a thread that dies mid-page fails that page (no hang) and is replaced, and an export job
// whose attempt hit it is retried and succeeds with the same file as on the event loop; close()
// ends the threads, and a page asked for afterwards fails at once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ThreadPageEncoder } from '../../src/adapters/export-encode-pool.js';
import { IN_LOOP_PAGE_ENCODER } from '../../src/adapters/export-encoders.js';
import { openMemoryStore } from '../../src/adapters/memory/memory-store.js';
import type { OrderPageEncoder } from '../../src/domain/ports.js';
import { anOrder, sequentialIds } from '../support/builders.js';
import { startInProcessExport } from '../support/in-process-export.js';
import { variedOrders } from '../contracts/order-page-encoder.contract.js';

const CRASHING = new URL('../support/crashing-encode-worker.ts', import.meta.url);
let dir: string;
let flag: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orderflow-encode-pool-'));
  flag = join(dir, 'crash');
  process.env['ORDERFLOW_TEST_CRASH_FLAG'] = flag; // threads copy the environment when they start
});
afterAll(() => {
  delete process.env['ORDERFLOW_TEST_CRASH_FLAG'];
  rmSync(dir, { recursive: true, force: true });
});

const crashPage = () => [...variedOrders(3), anOrder({ customerId: 'crash-this-thread' })];

test('threads start on first use, at most the configured number', async () => {
  const pool = new ThreadPageEncoder({ threads: 2 });
  expect(pool.size).toBe(0);
  await Promise.all(Array.from({ length: 8 }, (_, p) => pool.encodePage('CSV', variedOrders(50, p * 50))));
  expect(pool.size).toBeGreaterThanOrEqual(1);
  expect(pool.size).toBeLessThanOrEqual(2);
  await pool.close();
});

test('a thread that dies mid-page fails that page; a new thread takes the next', async () => {
  const pool = new ThreadPageEncoder({ threads: 1, entry: CRASHING });
  writeFileSync(flag, '');
  await expect(pool.encodePage('CSV', crashPage())).rejects.toThrow(/export encoding thread ended \(exit code 70\)/);
  expect(pool.crashes).toBe(1);
  const page = crashPage(); // the flag is gone: the same page now encodes
  expect(Buffer.from(await pool.encodePage('CSV', page)).toString()).toBe(
    Buffer.from(await IN_LOOP_PAGE_ENCODER.encodePage('CSV', page)).toString(),
  );
  await pool.close();
});

test('pages waiting when a thread dies are encoded by its replacement', async () => {
  const pool = new ThreadPageEncoder({ threads: 1, entry: CRASHING });
  writeFileSync(flag, '');
  const pages = [crashPage(), variedOrders(20, 1), variedOrders(20, 2)];
  const results = await Promise.allSettled(pages.map((page) => pool.encodePage('NDJSON', page)));
  expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  await pool.close();
});

test('close() ends the threads: a page asked for afterwards fails at once', async () => {
  const pool = new ThreadPageEncoder({ threads: 1 });
  await pool.encodePage('CSV', variedOrders(5));
  await pool.close();
  expect(pool.size).toBe(0);
  await expect(pool.encodePage('CSV', variedOrders(5))).rejects.toThrow('the export encoding threads are closed');
});

/** Runs one CSV export of `count` orders through the use cases and the in-process runner. */
async function exportWith(encoders: OrderPageEncoder, count: number) {
  const store = openMemoryStore();
  const ids = sequentialIds();
  for (let i = 0; i < count; i++)
    await store.orders.create(anOrder({ id: ids(), customerId: i === 7 ? 'crash-this-thread' : `c-${i % 3}` }));
  const run = await startInProcessExport(store, { encoders });
  const final = await run.final();
  await run.close();
  return { final, attempts: run.attempts };
}

test('an export whose thread crashed mid-attempt is retried and ends with the event loop’s file', async () => {
  const pool = new ThreadPageEncoder({ threads: 1, entry: CRASHING });
  writeFileSync(flag, '');
  const threaded = await exportWith(pool, 35);
  await pool.close();
  const inLoop = await exportWith(IN_LOOP_PAGE_ENCODER, 35);
  expect(threaded.attempts).toEqual(['retried', 'succeeded']);
  expect(threaded.final).toMatchObject({ status: 'SUCCEEDED', attempts: 2, ordersDone: 35 });
  expect(inLoop.final).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  expect(threaded.final.sha256).toBe(inLoop.final.sha256);
  expect(threaded.final.sizeBytes).toBe(inLoop.final.sizeBytes);
});
