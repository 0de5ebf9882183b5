// What the worker checks of BullMQ's Redis at startup, against a redis-server of this test's own:
// a policy that may evict keys is refused; a Redis without an append-only file (a restart loses
// the jobs already queued there) is a warning; noeviction with appendonly passes quietly.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BullmqSettings } from '../../src/adapters/bullmq/bullmq-job-queue.js';
import { ConfigError } from '../../src/platform/config.js';
import { checkQueueRedis } from '../../src/wiring/exports.js';
import { OwnRedisServer } from '../support/redis.js';

let redis: OwnRedisServer;
let admin: Redis;
let settings: BullmqSettings;

beforeAll(async () => {
  redis = await OwnRedisServer.start(['--maxmemory-policy', 'allkeys-lru']);
  admin = new Redis({ host: '127.0.0.1', port: redis.port });
  settings = {
    host: '127.0.0.1',
    port: redis.port,
    db: 0,
    prefix: 'check',
    queueName: 'exports',
    lockDurationMs: 30_000,
    stalledIntervalMs: 30_000,
    maxStalledCount: 5,
    connectTimeoutMs: 5000,
  };
}, 60_000);

afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

test('an evicting Redis is refused, one without appendonly is a warning, noeviction + appendonly passes', async () => {
  await expect(checkQueueRedis(settings)).rejects.toThrow(ConfigError);
  await expect(checkQueueRedis(settings)).rejects.toThrow('has maxmemory-policy allkeys-lru; BullMQ needs noeviction');

  await admin.config('SET', 'maxmemory-policy', 'noeviction');
  const warnings = await checkQueueRedis(settings);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('has no append-only file: a Redis restart loses the export jobs already queued there');

  await admin.config('SET', 'appendonly', 'yes');
  expect(await checkQueueRedis(settings)).toEqual([]);
});
