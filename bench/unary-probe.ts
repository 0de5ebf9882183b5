// Single unary calls over raw node:http2 with the benchmark's own framing: to create the orders
// the scenarios read and watch, and to learn (and check) the exact response each scenario's
// calls must get, before h2load repeats the same request many times.
import { type ClientHttp2Session, connect } from 'node:http2';
import { grpcFrame, GrpcFrameReader } from './grpc-frame.js';

export type UnaryReply = Readonly<{
  httpStatus: number;
  grpcStatus: string | undefined;
  grpcMessage: string | undefined;
  messages: readonly Buffer[];
  /** DATA bytes received: what h2load counts as "data" for one such call. */
  dataBytes: number;
}>;

export function openSession(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

export function callUnary(
  session: ClientHttp2Session,
  path: string,
  request: Uint8Array,
  headers: Readonly<Record<string, string>>,
): Promise<UnaryReply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, ...headers });
    const messages: Buffer[] = [];
    const reader = new GrpcFrameReader(
      (_, bytes) => messages.push(bytes!),
      () => true,
    );
    let httpStatus = 0;
    let dataBytes = 0;
    let trailers: Readonly<Record<string, string | string[] | number | undefined>> = {};
    stream.on('response', (h) => {
      httpStatus = Number(h[':status']);
      trailers = h; // a trailers-only response carries grpc-status in its headers
    });
    stream.on('data', (chunk: Buffer) => {
      dataBytes += chunk.length;
      reader.push(chunk);
    });
    stream.on('trailers', (t: Record<string, string | undefined>) => {
      trailers = t;
    });
    stream.on('error', reject);
    stream.on('end', () => {
      const text = (name: string) => {
        const value = trailers[name];
        return value === undefined ? undefined : Array.isArray(value) ? value.join(',') : String(value);
      };
      const message = text('grpc-message');
      resolve({
        httpStatus,
        grpcStatus: text('grpc-status'),
        grpcMessage: message === undefined ? undefined : decodeURIComponent(message),
        messages,
        dataBytes,
      });
    });
    stream.end(grpcFrame(request));
  });
}

/** The reply's only message, or an error saying what the server answered instead. */
export function expectOk(reply: UnaryReply, what: string): Buffer {
  const [message] = reply.messages;
  if (reply.httpStatus !== 200 || reply.grpcStatus !== '0' || reply.messages.length !== 1 || message === undefined) {
    throw new Error(
      `${what}: HTTP ${reply.httpStatus}, grpc-status ${reply.grpcStatus ?? 'none'} (${reply.grpcMessage ?? ''}), ${reply.messages.length} message(s)`,
    );
  }
  return message;
}

/** `count` calls, `concurrency` at a time, each checked to end OK. */
export async function callMany(
  session: ClientHttp2Session,
  path: string,
  request: Uint8Array,
  headers: Readonly<Record<string, string>>,
  count: number,
  concurrency = 32,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      expectOk(await callUnary(session, path, request, headers), path);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
