// RedisCache against redis-server processes of this file's own (free ports; the shared server is
// never stopped): the per-call timeout is min(commandTimeoutMs, the caller's time left), an abort
// ends the wait, a killed server makes calls fail fast (never queue) until it is back, a server
// down at startup is picked up when it comes, and keys live under the configured prefix.
// Bounds on elapsed time here only catch hangs (seconds against what would be minutes).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RedisCache } from '../../src/adapters/redis/redis-cache.js';
import type { CallScope } from '../../src/domain/call-scope.js';
import { openReadyRedisCache, OwnRedisServer } from '../support/redis.js';

const MINUTE = 60_000;
let server: OwnRedisServer;
const opened: RedisCache[] = [];

beforeAll(async () => {
  server = await OwnRedisServer.start();
});

afterAll(async () => {
  await Promise.all(opened.map((cache) => cache.close()));
  await server.stop();
});

async function open(
  options: { commandTimeoutMs?: number; keyPrefix?: string; onConnection?: (up: boolean) => void } = {},
): Promise<RedisCache> {
  const cache = await openReadyRedisCache({ port: server.port, keyPrefix: 'p:', ...options });
  opened.push(cache);
  return cache;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const scopeEndingIn = (ms: number): CallScope => ({ signal: new AbortController().signal, deadline: Date.now() + ms });

describe('a Redis that stops answering (SIGSTOP)', () => {
  test('a call ends at commandTimeoutMs, or at the caller deadline when that is sooner, or when the caller aborts; then the connection is dropped', async () => {
    const short = await open({ commandTimeoutMs: 300 });
    const long = await open({ commandTimeoutMs: 10 * MINUTE });
    await short.setMany([{ key: 'k', value: 'v' }], MINUTE);
    server.signal('SIGSTOP');
    try {
      let started = Date.now();
      await expect(short.getMany(['k'])).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(MINUTE / 4);

      started = Date.now();
      await expect(long.getMany(['k'], scopeEndingIn(200))).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(MINUTE / 4);

      const controller = new AbortController();
      const pending = long.setMany([{ key: 'k', value: 'w' }], MINUTE, { signal: controller.signal, deadline: Infinity });
      controller.abort(new DOMException('client went away', 'AbortError'));
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

      // Unanswered commands do not pile up: the silent connection is dropped, and calls fail fast
      // (no command sent) until Redis answers again.
      await until(() => !short.isUp(), 'the silent connection to be dropped');
      started = Date.now();
      for (let i = 0; i < 50; i++) await expect(short.getMany(['k'])).rejects.toMatchObject({ name: 'CacheUnavailableError' });
      expect(Date.now() - started).toBeLessThan(MINUTE / 4);
    } finally {
      server.signal('SIGCONT');
    }
    await until(async () => (await short.getMany(['k']).catch(() => ['error']))[0] !== 'error', 'the answers to come back');
  });
});

describe('a Redis that is killed and restarted', () => {
  test('calls fail fast as unavailable while it is down, and work again once it is back', async () => {
    const changes: boolean[] = [];
    const cache = await open({ onConnection: (up) => changes.push(up) });
    await cache.setMany([{ key: 'k', value: 'v' }], MINUTE);
    await server.kill();
    await until(() => !cache.isUp(), 'the connection to drop');
    const started = Date.now();
    for (let i = 0; i < 50; i++) await expect(cache.getMany(['k'])).rejects.toMatchObject({ name: 'CacheUnavailableError' });
    await expect(cache.ping()).rejects.toMatchObject({ name: 'CacheUnavailableError' });
    // 50 calls, none waiting for a reconnect (each would otherwise wait its timeout or longer).
    expect(Date.now() - started).toBeLessThan(MINUTE / 4);
    await server.start();
    await until(() => cache.isUp(), 'the reconnect');
    expect(await cache.getMany(['k'])).toEqual([undefined]); // a fresh, empty server
    await cache.ping();
    expect(changes).toEqual([true, false, true]);
  });

  test('a cache opened while Redis is down starts working when Redis comes', async () => {
    await server.kill();
    const cache = new RedisCache({
      host: '127.0.0.1',
      port: server.port,
      db: 0,
      keyPrefix: 'late:',
      commandTimeoutMs: 500,
      connectTimeoutMs: 500,
    });
    opened.push(cache);
    await expect(cache.getMany(['k'])).rejects.toMatchObject({ name: 'CacheUnavailableError' });
    await server.start();
    await until(() => cache.isUp(), 'the first connection');
    await cache.setMany([{ key: 'k', value: 'v' }], MINUTE);
    expect(await cache.getMany(['k'])).toEqual(['v']);
  });
});

describe('keys', () => {
  test('live under keyPrefix, with the TTL asked for', async () => {
    const cache = await open({ keyPrefix: 'orderflow-x:' });
    await cache.setMany([{ key: 'order:v1:abc', value: 'v', version: 3n }], MINUTE);
    const raw = new Redis({ port: server.port, lazyConnect: true });
    await raw.connect();
    try {
      expect(await raw.keys('*order:v1:abc')).toEqual(['orderflow-x:order:v1:abc']);
      const ttl = await raw.pttl('orderflow-x:order:v1:abc');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(MINUTE);
    } finally {
      raw.disconnect();
    }
  });
});
