// A plain grpc-js client that sends arbitrary bytes as message bodies (identity serializers), so
// hostile payloads reach the server's own deserialisation, and the verdict on how a call ended.
import type { EventEmitter } from 'node:events';
import {
  Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ClientWritableStream,
  type Metadata,
  credentials,
  status as Status,
} from '@grpc/grpc-js';

export type CallKind = 'unary' | 'client' | 'server' | 'bidi';
export type Outcome = { hung: false; code: Status; details: string; ms: number } | { hung: true; ms: number };
type AnyCall = ClientUnaryCall | ClientReadableStream<Buffer> | ClientWritableStream<Buffer> | ClientDuplexStream<Buffer, Buffer>;

const identity = (bytes: Buffer) => bytes;
const ignore = () => {};

export function rawClient(address: string): Client {
  return new Client(address, credentials.createInsecure());
}

export function kindOf(method: { requestStream: boolean; responseStream: boolean }): CallKind {
  if (method.requestStream) return method.responseStream ? 'bidi' : 'client';
  return method.responseStream ? 'server' : 'unary';
}

function start(
  client: Client,
  path: string,
  kind: CallKind,
  messages: readonly Uint8Array[],
  metadata: Metadata,
  deadline: number,
): AnyCall {
  const buffers = messages.map((m) => Buffer.from(m.buffer, m.byteOffset, m.byteLength));
  const first = buffers[0] ?? Buffer.alloc(0);
  const options = { deadline };
  if (kind === 'unary') return client.makeUnaryRequest(path, identity, identity, first, metadata, options, ignore);
  if (kind === 'server') return client.makeServerStreamRequest(path, identity, identity, first, metadata, options);
  const call =
    kind === 'client'
      ? client.makeClientStreamRequest(path, identity, identity, metadata, options, ignore)
      : client.makeBidiStreamRequest(path, identity, identity, metadata, options);
  for (const buffer of buffers) call.write(buffer);
  call.end();
  return call;
}

export type RawCall = { path: string; kind: CallKind; messages: readonly Uint8Array[]; metadata: Metadata; deadlineMs: number };

/**
 * Makes one call and resolves with its status. A watchdog well past the deadline catches a call
 * that never ends (grpc-js enforces the deadline itself, so only a wedged channel gets there).
 */
export function rawCall(client: Client, { path, kind, messages, metadata, deadlineMs }: RawCall): Promise<Outcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<Outcome>((resolve) => {
    const call = start(client, path, kind, messages, metadata, Date.now() + deadlineMs);
    const watchdog = setTimeout(() => {
      resolve({ hung: true, ms: elapsed() });
      call.cancel();
    }, deadlineMs + 5000);
    const events: EventEmitter = call; // every call kind is an EventEmitter; the unary type hides it
    events.on('error', ignore); // the status event below carries the same information
    if (kind === 'server' || kind === 'bidi') events.on('data', ignore); // status waits for reads
    events.on('status', (status: { code: Status; details: string }) => {
      clearTimeout(watchdog);
      resolve({ hung: false, code: status.code, details: status.details, ms: elapsed() });
    });
  });
}

/** Runs `work` over `items` with at most `concurrency` in flight; results in input order. */
export async function runPool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Stack frames, source positions and JS error class names: internals a client must never see. */
const LEAK = /\n\s*at |\bat \S+ \(|\bat [^\s]+:\d+:\d+|\.[cm]?[jt]s:\d+|node_modules|\b(Type|Range|Reference|Syntax)Error\b/;

export function leaksInternals(details: string): boolean {
  return LEAK.test(details);
}

export const statusName = (code: Status) => Status[code] ?? String(code);

/**
 * What is wrong with how a call ended, or undefined if nothing. INTERNAL is fine only as grpc-js's
 * own "Error deserializing request": the handler's INTERNAL ("internal error") means hostile
 * input made it throw something unexpected. DEADLINE_EXCEEDED is fine only for a long-lived
 * stream whose request was valid (it is then open and quiet, not hung).
 */
export function problemWith(outcome: Outcome, deadlineAllowed: boolean): string | undefined {
  if (outcome.hung) return `no status after ${outcome.ms} ms`;
  const { code, details } = outcome;
  const seen = `${statusName(code)} "${details}"`;
  if (code === Status.UNKNOWN) return `UNKNOWN status: ${seen}`;
  if (leaksInternals(details)) return `details leak internals: ${seen}`;
  if (code === Status.INTERNAL && !details.startsWith('Error deserializing request')) return `handler failed: ${seen}`;
  if (code === Status.DEADLINE_EXCEEDED && !deadlineAllowed) return `deadline exceeded: ${seen}`;
  return undefined;
}
