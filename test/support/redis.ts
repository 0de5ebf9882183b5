// Redis for tests: the shared server (127.0.0.1:6379, one key prefix per test file, cleaned by
// prefix: never FLUSHALL) and redis-server processes of a test's own, on free ports, to stop,
// kill and restart at will.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisCache, type RedisCacheOptions } from '../../src/adapters/redis/redis-cache.js';

export const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };

/** A key prefix no other test file (or other run) uses. */
export const uniquePrefix = (name: string) => `orderflow-test:${name}:${randomBytes(4).toString('hex')}:`;

/** A RedisCache on `port`, resolved once its connection is ready. */
export async function openReadyRedisCache(options: Partial<RedisCacheOptions> & { keyPrefix: string }): Promise<RedisCache> {
  let ready!: () => void;
  const connected = new Promise<void>((resolve) => (ready = resolve));
  const cache = new RedisCache({
    host: REDIS.host,
    port: REDIS.port,
    db: 0,
    commandTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    ...options,
    onConnection: (up) => {
      if (up) ready();
      options.onConnection?.(up);
    },
  });
  await connected;
  return cache;
}

/** Deletes every key under `prefix` on the server at `port` (SCAN + DEL: only this test's keys). */
export async function deleteByPrefix(prefix: string, port = REDIS.port): Promise<number> {
  const redis = new Redis({ host: REDIS.host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** A free loopback port (another process could take it before it is used: then the start fails loudly). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server of this test's own: nothing persisted, loopback only. */
export class OwnRedisServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'orderflow-redis-'));

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {}

  /** `extraArgs`: more redis-server options, e.g. ['--requirepass', 'pw']. */
  static async start(extraArgs: readonly string[] = []): Promise<OwnRedisServer> {
    const server = new OwnRedisServer(await freePort(), extraArgs);
    await server.start();
    return server;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (or restarts) the server on the same port; resolves when it accepts connections. */
  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--daemonize',
      'no',
      ...this.extraArgs,
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${this.port}: ${output}`)), 20_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  }

  /** Sends `signal` to this server's own process, by its PID. */
  signal(signal: NodeJS.Signals): void {
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, signal);
  }

  /** SIGKILLs the server and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.signal('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    this.signal('SIGCONT');
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
