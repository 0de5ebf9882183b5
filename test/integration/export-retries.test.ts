// Retries of export jobs on the in-process runner over the memory store: a failing attempt is
// retried with backoff and the job then succeeds; when every attempt fails the job is FAILED with
// a reason a client may see (a DomainError's message; "internal error" for anything else).
import { expect, test } from 'vitest';
import { openMemoryStore } from '../../src/adapters/memory/memory-store.js';
import { DomainError } from '../../src/domain/errors.js';
import type { OrderRepository } from '../../src/domain/ports.js';
import { anOrder } from '../support/builders.js';
import { startInProcessExport } from '../support/in-process-export.js';

async function runner(failures: (call: number) => Error | undefined) {
  const store = openMemoryStore();
  for (let i = 1; i <= 3; i++) await store.orders.create(anOrder({ id: `00000000-0000-7000-8000-${i.toString(16).padStart(12, '0')}` }));
  let calls = 0;
  const orders: OrderRepository = {
    ...store.orders,
    count: (q) => store.orders.count(q),
    list: (q) => {
      const error = failures(++calls);
      return error === undefined ? store.orders.list(q) : Promise.reject(error);
    },
  };
  return startInProcessExport(store, { orders });
}

test('a failed attempt is retried with backoff; the next one succeeds', async () => {
  const r = await runner((call) => (call === 1 ? new DomainError('UNAVAILABLE', 'the store is unavailable') : undefined));
  expect(await r.final()).toMatchObject({ status: 'SUCCEEDED', attempts: 2, ordersDone: 3 });
  expect(r.retries).toEqual([1]);
  expect(r.attempts).toEqual(['retried', 'succeeded']);
  await r.close();
});

test('when every attempt fails the job is FAILED with its reason, without internal text', async () => {
  const unavailable = await runner(() => new DomainError('UNAVAILABLE', 'the store is unavailable'));
  expect(await unavailable.final()).toMatchObject({ status: 'FAILED', attempts: 3, error: 'the store is unavailable (after 3 attempts)' });
  expect(unavailable.attempts).toEqual(['retried', 'retried', 'failed']);
  await unavailable.close();
  const bug = await runner(() => new TypeError('secret internals at 0xdeadbeef'));
  expect(await bug.final()).toMatchObject({ status: 'FAILED', error: 'internal error (after 3 attempts)' });
  await bug.close();
});
