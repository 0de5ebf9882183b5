// The Cache contract (src/domain/ports.ts), run against every implementation: batches in order,
// versioned writes that never go backwards, TTLs, and calls whose scope has ended.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import type { CallScope } from '../../src/domain/call-scope.js';
import type { Cache } from '../../src/domain/ports.js';

const MINUTE = 60_000;
const entry = (key: string, value: string, version?: bigint) => ({ key, value, version });

export function cacheContract(name: string, open: () => Promise<Cache>): void {
  describe(`Cache contract: ${name}`, () => {
    test('getMany misses absent keys, returns what setMany stored in the order asked, misses after delete', async () => {
      const cache = await open();
      expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined]);
      await cache.setMany([entry('a', 'one'), entry('b', 'two'), entry('c', 'three')], MINUTE);
      expect(await cache.getMany(['c', 'nothing', 'a', 'b', 'a'])).toEqual(['three', undefined, 'one', 'two', 'one']);
      await cache.delete(['a', 'c', 'never-set']);
      expect(await cache.getMany(['a', 'b', 'c'])).toEqual([undefined, 'two', undefined]);
    });

    test('empty batches do nothing', async () => {
      const cache = await open();
      expect(await cache.getMany([])).toEqual([]);
      await cache.setMany([], MINUTE);
      await cache.delete([]);
    });

    test('values come back byte for byte (colons, newlines, non-ASCII, empty, large)', async () => {
      const cache = await open();
      const values = ['7:not a version', 'line\nline', 'café ✓ 注文', '', 'x'.repeat(200_000)];
      await cache.setMany(
        values.map((v, i) => entry(`v${i}`, v, i % 2 === 0 ? BigInt(i) : undefined)),
        MINUTE,
      );
      expect(await cache.getMany(values.map((_, i) => `v${i}`))).toEqual(values);
    });

    test('an unversioned set replaces any value', async () => {
      const cache = await open();
      await cache.setMany([entry('k', 'one', 9n)], MINUTE);
      await cache.setMany([entry('k', 'two')], MINUTE);
      expect(await cache.getMany(['k'])).toEqual(['two']);
      await cache.setMany([entry('k', 'three')], MINUTE);
      expect(await cache.getMany(['k'])).toEqual(['three']);
    });

    test('a versioned set never replaces a greater version; an equal or greater one replaces', async () => {
      const cache = await open();
      await cache.setMany([entry('k', 'v5', 5n)], MINUTE);
      await cache.setMany([entry('k', 'v4', 4n)], MINUTE);
      expect(await cache.getMany(['k'])).toEqual(['v5']);
      await cache.setMany([entry('k', 'v5 again', 5n)], MINUTE);
      expect(await cache.getMany(['k'])).toEqual(['v5 again']);
      // Versions compare as numbers, not as text ("10" > "9").
      await cache.setMany([entry('k', 'v10', 10n)], MINUTE);
      await cache.setMany([entry('k', 'v9', 9n)], MINUTE);
      expect(await cache.getMany(['k'])).toEqual(['v10']);
      await cache.setMany([entry('k', 'v12345678901234567890', 12_345_678_901_234_567_890n), entry('other', 'o', 1n)], MINUTE);
      expect(await cache.getMany(['k', 'other'])).toEqual(['v12345678901234567890', 'o']);
    });

    test('racing versioned sets of one key leave the greatest version', async () => {
      const cache = await open();
      const versions = [3n, 9n, 1n, 7n, 2n, 8n, 4n, 6n, 5n, 10n].reverse();
      await Promise.all(versions.map((v) => cache.setMany([entry('k', `v${v}`, v)], MINUTE)));
      expect(await cache.getMany(['k'])).toEqual(['v10']);
    });

    test('an entry is gone after its TTL while a longer-lived one stays', async () => {
      const cache = await open();
      await cache.setMany([entry('long', 'stays')], MINUTE);
      await cache.setMany([entry('short', 'x', 1n)], 50);
      await sleep(400);
      expect(await cache.getMany(['short', 'long'])).toEqual([undefined, 'stays']);
      // An expired versioned entry no longer holds its version against older copies.
      await cache.setMany([entry('short', 'older', 0n)], MINUTE);
      expect(await cache.getMany(['short'])).toEqual(['older']);
    });

    test('a call whose scope has aborted rejects with AbortError and writes nothing', async () => {
      const cache = await open();
      const controller = new AbortController();
      controller.abort(new DOMException('client went away', 'AbortError'));
      const aborted: CallScope = { signal: controller.signal, deadline: Infinity };
      await expect(cache.setMany([entry('k', 'x')], MINUTE, aborted)).rejects.toMatchObject({ name: 'AbortError' });
      await expect(cache.getMany(['k'], aborted)).rejects.toMatchObject({ name: 'AbortError' });
      await expect(cache.delete(['k'], aborted)).rejects.toMatchObject({ name: 'AbortError' });
      expect(await cache.getMany(['k'])).toEqual([undefined]);
    });

    test("a call made after the scope's deadline rejects with TimeoutError and writes nothing", async () => {
      const cache = await open();
      const expired: CallScope = { signal: new AbortController().signal, deadline: Date.now() - 1 };
      await expect(cache.setMany([entry('k', 'x')], MINUTE, expired)).rejects.toMatchObject({ name: 'TimeoutError' });
      await expect(cache.getMany(['k'], expired)).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(await cache.getMany(['k'])).toEqual([undefined]);
    });

    test('a call with time left succeeds', async () => {
      const cache = await open();
      const scope: CallScope = { signal: new AbortController().signal, deadline: Date.now() + MINUTE };
      await cache.setMany([entry('k', 'x')], MINUTE, scope);
      expect(await cache.getMany(['k'], scope)).toEqual(['x']);
    });
  });
}
