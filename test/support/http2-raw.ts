// Raw HTTP/2 for what no gRPC client will send: broken length prefixes, a compressed flag without
// an encoding, bytes that are no frame at all, header values outside ASCII, idle connections.
import { type ClientHttp2Session, connect, constants, type IncomingHttpHeaders } from 'node:http2';

export type Http2Outcome = {
  /** HTTP :status, when response headers came. */
  httpStatus: number | undefined;
  /** grpc-status from the headers (trailers-only response) or the trailers. */
  grpcStatus: number | undefined;
  grpcMessage: string;
  /** RST_STREAM code; 0 (NO_ERROR) when the stream closed normally. */
  rstCode: number;
  hung: boolean;
};

export function openSession(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.once('connect', () => {
      session.off('error', reject);
      session.on('error', () => {}); // a GOAWAY after the test is not a failure of the test
      resolve(session);
    });
    session.once('error', reject);
  });
}

export function closeSession(session: ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (session.closed || session.destroyed) resolve();
    else session.close(() => resolve());
  });
}

const decodeMessage = (value: string | string[] | undefined) => {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** A 5-byte gRPC message prefix: compressed flag and big-endian length. */
export function prefix(compressed: number, length: number): Buffer {
  const bytes = Buffer.alloc(5);
  bytes.writeUInt8(compressed, 0);
  bytes.writeUInt32BE(length >>> 0, 1);
  return bytes;
}

export type Http2Request = { path: string; headers?: Record<string, string>; body: Buffer; endStream?: boolean; timeoutMs?: number };

/** Sends one request with gRPC headers (overridable) and `body` verbatim, and reports how it ended. */
export function http2Call(session: ClientHttp2Session, request: Http2Request): Promise<Http2Outcome> {
  const headers = { ':method': 'POST', ':path': request.path, 'content-type': 'application/grpc', te: 'trailers', ...request.headers };
  const stream = session.request(headers, { endStream: false });
  const outcome: Http2Outcome = { httpStatus: undefined, grpcStatus: undefined, grpcMessage: '', rstCode: 0, hung: false };
  const note = (fields: IncomingHttpHeaders) => {
    if (fields[':status'] !== undefined) outcome.httpStatus = Number(fields[':status']);
    if (fields['grpc-status'] !== undefined) outcome.grpcStatus = Number(fields['grpc-status']);
    if (fields['grpc-message'] !== undefined) outcome.grpcMessage = decodeMessage(fields['grpc-message']);
  };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      outcome.hung = true;
      stream.close(constants.NGHTTP2_CANCEL);
    }, request.timeoutMs ?? 30_000); // only catches a hang: a busy machine may take seconds
    const done = (rstCode: number) => {
      clearTimeout(timer);
      resolve({ ...outcome, rstCode });
    };
    // A status ends the call even while our side is still open (a stalled request): stop there.
    const onHeaders = (fields: IncomingHttpHeaders) => {
      note(fields);
      if (outcome.grpcStatus === undefined) return;
      done(0);
      stream.close();
    };
    stream.on('response', onHeaders);
    stream.on('trailers', onHeaders);
    stream.on('data', () => {});
    stream.on('error', () => {}); // a reset surfaces as an error too; rstCode below says which
    stream.on('close', () => done(outcome.hung ? 0 : (stream.rstCode ?? 0)));
    if (request.endStream === false) stream.write(request.body);
    else stream.end(request.body);
  });
}
