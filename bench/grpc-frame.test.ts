import { describe, expect, it } from 'vitest';
import { GET_PRODUCT } from './contract.js';
import { grpcFrame, GrpcFrameReader } from './grpc-frame.js';

describe('grpcFrame', () => {
  it('prefixes the message with a 0 flag and its length as 4 bytes big-endian', () => {
    const message = GET_PRODUCT.request.encode({ id: 'espresso' }).finish();
    const frame = grpcFrame(message);
    expect([...frame.subarray(0, 5)]).toEqual([0, 0, 0, 0, message.length]);
    expect(GET_PRODUCT.request.decode(frame.subarray(5))).toEqual({ id: 'espresso' });
    expect(grpcFrame(new Uint8Array(300)).readUInt32BE(1)).toBe(300);
  });
});

describe('GrpcFrameReader', () => {
  const messages = ['a', '', 'bbbbbbbbbb', 'cc'].map((s) => Buffer.from(s));
  const stream = Buffer.concat(messages.map(grpcFrame));

  it('finds every message however the stream is cut into chunks, prefixes included', () => {
    for (const size of [1, 2, 3, 5, 7, stream.length]) {
      const seen: string[] = [];
      const reader = new GrpcFrameReader(
        (_, bytes) => seen.push(bytes!.toString()),
        () => true,
      );
      for (let at = 0; at < stream.length; at += size) reader.push(stream.subarray(at, at + size));
      expect(seen, `chunks of ${size}`).toEqual(['a', '', 'bbbbbbbbbb', 'cc']);
      expect(reader.messages).toBe(4);
      expect(reader.atBoundary).toBe(true);
    }
  });

  it('hands over only the messages asked for, and counts the others', () => {
    const seen: [number, string | undefined][] = [];
    const reader = new GrpcFrameReader(
      (i, bytes) => seen.push([i, bytes?.toString()]),
      (i) => i === 2,
    );
    reader.push(stream);
    expect(seen).toEqual([
      [0, undefined],
      [1, undefined],
      [2, 'bbbbbbbbbb'],
      [3, undefined],
    ]);
  });

  it('knows when the stream stopped inside a message', () => {
    const reader = new GrpcFrameReader(() => {});
    reader.push(stream.subarray(0, 8));
    expect(reader.atBoundary).toBe(false);
  });

  it('refuses compressed messages, which the benchmark never asks for', () => {
    const reader = new GrpcFrameReader(() => {});
    expect(() => reader.push(Buffer.from([1, 0, 0, 0, 0]))).toThrow(/compressed/);
  });
});
