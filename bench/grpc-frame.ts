// gRPC's length-prefixed message framing (the body of an HTTP/2 gRPC stream): a compression flag
// byte (0: not compressed), the message length as 4 bytes big-endian, then the message bytes.
// The load generators speak it directly so that no gRPC client library sits between them and
// the server under test.

/** One uncompressed gRPC frame around `message`. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/**
 * Splits a stream of DATA chunks into gRPC messages without copying the ones nobody asked for:
 * `onMessage(index)` is told about every message, and receives its bytes only when
 * `wants(index)` said so beforehand. Chunks may end anywhere, even inside the 5-byte prefix.
 */
export class GrpcFrameReader {
  /** Complete messages seen so far. */
  messages = 0;
  private header = Buffer.alloc(5);
  private headerFill = 0;
  private remaining = 0;
  private body: Buffer[] | undefined;

  constructor(
    private readonly onMessage: (index: number, bytes: Buffer | undefined) => void,
    private readonly wants: (index: number) => boolean = () => false,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining === 0 && this.headerFill < 5) {
        const take = Math.min(5 - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill < 5) return;
        if (this.header[0] !== 0) throw new Error(`compressed gRPC message (flag ${this.header[0]}) not expected`);
        this.remaining = this.header.readUInt32BE(1);
        this.body = this.wants(this.messages) ? [] : undefined;
        if (this.remaining === 0) this.complete();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      this.body?.push(chunk.subarray(at, at + take));
      this.remaining -= take;
      at += take;
      if (this.remaining === 0) this.complete();
    }
  }

  /** True when the stream ended between messages, not inside one. */
  get atBoundary(): boolean {
    return this.headerFill === 0 && this.remaining === 0;
  }

  private complete(): void {
    const index = this.messages++;
    const bytes = this.body === undefined ? undefined : Buffer.concat(this.body);
    this.headerFill = 0;
    this.body = undefined;
    this.onMessage(index, bytes);
  }
}
