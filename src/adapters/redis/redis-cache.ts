// The Cache port on Redis (ioredis), one shared copy for every replica. Built to fail fast rather
// than queue: no offline queue, no command resent across a reconnect, each call bounded by
// min(commandTimeoutMs, the caller's time left); the connection comes back in the background with
// capped exponential backoff. Batches span keys, so this is for a standalone Redis (or a primary
// with replicas), not Redis Cluster.
import { Redis, type RedisOptions } from 'ioredis';
import { type CallScope, remainingMs, UNBOUNDED } from '../../domain/call-scope.js';
import type { Cache, CacheEntry } from '../../domain/ports.js';
import { cacheFailure, endedScopeFailure } from '../cache-failure.js';

export type RedisCacheOptions = Readonly<{
  host: string;
  port: number;
  db: number;
  username?: string | undefined;
  password?: string | undefined;
  /** Prepended to every key: the namespace shared by the replicas of one deployment. */
  keyPrefix: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  tls?: RedisOptions['tls'];
  /** The connection became usable (true) or was lost (false). */
  onConnection?: (up: boolean) => void;
  /** A connection attempt failed (repeats while Redis is down: throttle what it logs). */
  onConnectionError?: (error: unknown) => void;
}>;

/**
 * Stored values carry `<version>:` in front (empty when unversioned), so that the compare-and-set
 * below runs in Redis, atomically per key: a copy is written unless the key holds a greater version.
 */
const SET_MANY_LUA = `
local ttl = ARGV[1]
for i, key in ipairs(KEYS) do
  local version, value = ARGV[2 * i], ARGV[2 * i + 1]
  local write = true
  if version ~= '' then
    local current = redis.call('GET', key)
    local stored = current and string.match(current, '^(%d+):')
    if stored and (#stored > #version or (#stored == #version and stored > version)) then write = false end
  end
  if write then redis.call('SET', key, version .. ':' .. value, 'PX', ttl) end
end
return 0`;

type WithSetMany = Redis & { orderflowSetMany(...args: (string | number)[]): Promise<unknown> };

const MAX_BACKOFF_MS = 2000;

export class RedisCache implements Cache {
  private readonly redis: WithSetMany;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  /** While disconnected every call fails the same way: one error object, not one per call. */
  private unavailable: Error | undefined;

  /** Starts connecting and returns at once: calls made before the connection is up are misses. */
  constructor(options: RedisCacheOptions) {
    this.prefix = options.keyPrefix;
    this.timeoutMs = options.commandTimeoutMs;
    this.redis = new Redis({
      host: options.host,
      port: options.port,
      db: options.db,
      username: options.username,
      password: options.password,
      tls: options.tls,
      connectTimeout: options.connectTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // A Redis that stops answering (not closing) is dropped and reconnected, so unanswered commands do not pile up.
      socketTimeout: Math.max(2000, 4 * options.commandTimeoutMs),
      retryStrategy: (attempt) => Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(attempt, 6)) + Math.floor(Math.random() * 100),
      connectionName: 'orderflow-cache',
    }) as WithSetMany;
    this.redis.defineCommand('orderflowSetMany', { lua: SET_MANY_LUA });
    let up = false;
    this.redis.on('ready', () => {
      up = true;
      this.unavailable = undefined;
      options.onConnection?.(true);
    });
    this.redis.on('close', () => {
      if (up) options.onConnection?.(false);
      up = false;
    });
    this.redis.on('error', (error: unknown) => options.onConnectionError?.(withoutCommand(error)));
  }

  /** True while the connection is established and ready for commands. */
  isUp(): boolean {
    return this.redis.status === 'ready';
  }

  /** Resolves when Redis answers PING within the timeout; for health reports. */
  async ping(signal?: AbortSignal): Promise<void> {
    const scope = signal === undefined ? UNBOUNDED : { signal, deadline: Infinity };
    await this.run(scope, () => this.redis.ping());
  }

  getMany(keys: readonly string[], scope: CallScope = UNBOUNDED): Promise<(string | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.run(scope, async () => {
      const texts = await this.redis.mget(keys.map((key) => this.prefix + key));
      return texts.map((text) => {
        const at = text === null ? -1 : text.indexOf(':');
        return at < 0 ? undefined : (text as string).slice(at + 1);
      });
    });
  }

  setMany(entries: readonly CacheEntry[], ttlMs: number, scope: CallScope = UNBOUNDED): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const keys = entries.map((e) => this.prefix + e.key);
    const args = entries.flatMap((e) => [e.version?.toString() ?? '', e.value]);
    return this.run(scope, async () => {
      await this.redis.orderflowSetMany(keys.length, ...keys, Math.max(1, Math.round(ttlMs)), ...args);
    });
  }

  delete(keys: readonly string[], scope: CallScope = UNBOUNDED): Promise<void> {
    if (keys.length === 0) return Promise.resolve();
    return this.run(scope, async () => {
      await this.redis.del(keys.map((key) => this.prefix + key));
    });
  }

  /** Says goodbye when connected, then stops reconnecting. */
  async close(): Promise<void> {
    if (this.isUp()) await this.run(UNBOUNDED, () => this.redis.quit()).catch(() => undefined);
    this.redis.disconnect();
  }

  /** `command`, bounded by the per-call timeout, the scope's deadline and its signal. */
  private run<T>(scope: CallScope, command: () => Promise<T>): Promise<T> {
    const ended = endedScopeFailure(scope);
    if (ended !== undefined) return Promise.reject(ended);
    if (this.redis.status !== 'ready')
      return Promise.reject((this.unavailable ??= cacheFailure('CacheUnavailableError', 'Redis is not connected')));
    const ms = Math.min(this.timeoutMs, remainingMs(scope));
    return new Promise<T>((resolve, reject) => {
      const settle = (done: () => void) => {
        clearTimeout(timer);
        scope.signal.removeEventListener('abort', onAbort);
        done();
      };
      const onAbort = () =>
        settle(() => reject(cacheFailure('AbortError', 'the caller went away during the cache call', scope.signal.reason)));
      const timer = setTimeout(() => settle(() => reject(cacheFailure('TimeoutError', `Redis did not answer within ${ms} ms`))), ms);
      if (scope !== UNBOUNDED) scope.signal.addEventListener('abort', onAbort, { once: true });
      command().then(
        (value) => settle(() => resolve(value)),
        (error: unknown) => settle(() => reject(classify(error))),
      );
    });
  }
}

/**
 * ioredis errors carry the failed command with its arguments (AUTH's password, cached values):
 * only the message goes on, so nothing that logs an error can print them.
 */
function withoutCommand(error: unknown): Error {
  const copy = new Error((error as Error | undefined)?.message ?? String(error));
  copy.name = (error as Error | undefined)?.name ?? 'Error';
  return copy;
}

function classify(error: unknown): Error {
  const { name, message } = withoutCommand(error);
  if (name === 'ReplyError') return cacheFailure('CacheError', `Redis refused the command: ${message}`);
  return cacheFailure('CacheUnavailableError', `Redis cannot be reached: ${message}`);
}
