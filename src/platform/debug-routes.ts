// Debug endpoints on the admin listener: the log level at runtime, CPU profiles, heap snapshots.
// Off unless debug.enabled: a heap snapshot holds every string in memory (secrets, personal
// data) and profiling costs CPU, so even a loopback listener must opt in.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AdminRoutes } from './admin-server.js';
import { recordCpuProfile, takeHeapSnapshot } from './debug-inspector.js';

/** `name` (the service's) starts the file names of profiles and snapshots. */
export type DebugRoutesOptions = Readonly<{ enabled: boolean; maxProfileSeconds: number; log: Logger; name: string }>;

const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const ENDPOINTS = ['/debug/log-level', '/debug/cpu-profile', '/debug/heap-snapshot'];
const MAX_BODY_BYTES = 1024;
const DEFAULT_PROFILE_SECONDS = 10;

/** An answer other than 200: thrown by a handler, sent as JSON by the router. */
class DebugHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

function allow(req: IncomingMessage, methods: readonly string[]): void {
  if (!methods.includes(req.method ?? '')) {
    throw new DebugHttpError(405, 'method not allowed', {}, { allow: methods.join(', ') });
  }
}

/** Named with ISO 8601 time in its basic form (no colons), so the name is a valid file name everywhere. */
function attachmentHeaders(service: string, extension: string): Record<string, string> {
  const name = `${service}-${new Date().toISOString().replace(/[-:]/g, '')}.${extension}`;
  return { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-disposition': `attachment; filename="${name}"` };
}

/** Aborts when the response closes: finished, or the client went away. */
function closeSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => controller.abort());
  return controller.signal;
}

/** The body as text, or undefined when it exceeds `limit` bytes (the rest is left unread). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** The level asked for: `{"level":"debug"}` in the body, or `?level=debug` with an empty body. */
function requestedLevel(body: string, url: URL): string {
  let level: unknown = url.searchParams.get('level');
  if (body.trim() !== '') {
    try {
      level = (JSON.parse(body) as { level?: unknown } | null)?.level;
    } catch {
      throw new DebugHttpError(400, 'the body must be JSON like {"level":"debug"}');
    }
  }
  // The value is not echoed back: it is whatever the client sent.
  if (typeof level !== 'string' || !LOG_LEVELS.includes(level)) {
    throw new DebugHttpError(400, 'invalid log level', { valid: LOG_LEVELS });
  }
  return level;
}

function parseSeconds(url: URL, max: number): number {
  const raw = url.searchParams.get('seconds');
  // A default above the configured maximum would make the bare URL fail, so it is capped.
  if (raw === null) return Math.min(DEFAULT_PROFILE_SECONDS, max);
  const seconds = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds >= 1 && seconds <= max)) throw new DebugHttpError(400, `seconds must be an integer from 1 to ${max}`);
  return seconds;
}

export function createDebugRoutes(options: DebugRoutesOptions): AdminRoutes {
  const { enabled, maxProfileSeconds, log } = options;
  // A profile or snapshot at a time: two would distort each other and double the memory.
  let busy = false;

  async function exclusive(run: () => Promise<void>): Promise<void> {
    if (busy) throw new DebugHttpError(409, 'a profile or snapshot is already running');
    busy = true;
    try {
      await run();
    } finally {
      busy = false;
    }
  }

  async function putLogLevel(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req, MAX_BODY_BYTES);
    // Closing the connection stops Node from reading the rest of an oversized body.
    if (body === undefined) throw new DebugHttpError(413, `the body must be at most ${MAX_BODY_BYTES} bytes`, {}, { connection: 'close' });
    const level = requestedLevel(body, url);
    const previous = log.level;
    const line = { previous, level, remote_address: req.socket.remoteAddress, user_agent: req.headers['user-agent'] };
    // Logged under whichever of the two levels shows info lines, so a change to warn is recorded too.
    const record = (): void => log.info(line, 'log level changed through /debug/log-level');
    if (log.isLevelEnabled('info')) {
      record();
      log.level = level;
    } else {
      log.level = level;
      record();
    }
    sendJson(res, 200, { level, previous });
  }

  async function cpuProfile(res: ServerResponse, url: URL): Promise<void> {
    const seconds = parseSeconds(url, maxProfileSeconds);
    const signal = closeSignal(res);
    await exclusive(async () => {
      const started = performance.now();
      log.info({ kind: 'cpu-profile', seconds }, 'debug profile started');
      const profile = await recordCpuProfile(seconds * 1000, signal);
      const bytes = profile === undefined ? 0 : Buffer.byteLength(profile);
      if (profile !== undefined) {
        res.writeHead(200, { ...attachmentHeaders(options.name, 'cpuprofile'), 'content-length': String(bytes) });
        res.end(profile);
      }
      const fields = {
        kind: 'cpu-profile',
        duration_ms: Math.round(performance.now() - started),
        bytes,
        client_gone: profile === undefined,
      };
      log.info(fields, 'debug profile finished');
    });
  }

  async function heapSnapshot(res: ServerResponse): Promise<void> {
    await exclusive(async () => {
      const started = performance.now();
      log.info({ kind: 'heap-snapshot' }, 'debug profile started');
      res.writeHead(200, attachmentHeaders(options.name, 'heapsnapshot'));
      const bytes = await takeHeapSnapshot((chunk) => {
        if (!res.destroyed) res.write(chunk);
      });
      const clientGone = res.destroyed;
      res.end();
      log.info(
        { kind: 'heap-snapshot', duration_ms: Math.round(performance.now() - started), bytes, client_gone: clientGone },
        'debug profile finished',
      );
    });
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    switch (path) {
      case '/debug/log-level':
        allow(req, ['GET', 'PUT']);
        return req.method === 'PUT' ? putLogLevel(req, res, url) : sendJson(res, 200, { level: log.level });
      case '/debug/cpu-profile':
        allow(req, ['GET']);
        return cpuProfile(res, url);
      case '/debug/heap-snapshot':
        allow(req, ['GET']);
        return heapSnapshot(res);
      default:
        throw new DebugHttpError(404, 'not found', { endpoints: ENDPOINTS });
    }
  }

  return async (req, res, path) => {
    if (path !== '/debug' && !path.startsWith('/debug/')) return false;
    if (!enabled) {
      sendJson(res, 404, { error: 'debug endpoints are disabled; set debug.enabled: true' });
      return true;
    }
    try {
      await dispatch(req, res, path);
    } catch (error) {
      if (!(error instanceof DebugHttpError) || res.headersSent) throw error;
      sendJson(res, error.status, { error: error.message, ...error.fields }, error.headers);
    }
    return true;
  };
}
