// The Cache contract, run against every implementation.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import type { Cache } from '../../src/domain/ports.js';

export function cacheContract(name: string, open: () => Promise<Cache>): void {
  describe(`Cache contract: ${name}`, () => {
    test('get misses an absent key, returns what was set, misses after delete', async () => {
      const cache = await open();
      expect(await cache.get('k')).toBeUndefined();
      await cache.set('k', 'value ✓', 60_000);
      expect(await cache.get('k')).toBe('value ✓');
      await cache.delete('k');
      expect(await cache.get('k')).toBeUndefined();
    });

    test('set replaces a value', async () => {
      const cache = await open();
      await cache.set('k', 'one', 60_000);
      await cache.set('k', 'two', 60_000);
      expect(await cache.get('k')).toBe('two');
    });

    test('an entry expires after its TTL', async () => {
      const cache = await open();
      await cache.set('short', 'x', 50);
      await sleep(300);
      expect(await cache.get('short')).toBeUndefined();
    });
  });
}
