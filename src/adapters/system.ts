// The only real sources of time and identity; tests substitute fixed ones through app seams.
import { randomBytes } from 'node:crypto';
import type { Clock, IdGenerator } from '../domain/ports.js';

export const systemClock: Clock = () => new Date();

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter that keeps ids created in
 * the same millisecond in creation order (method 1), then 62 random bits.
 */
export function createUuidV7Generator(clock: () => number = Date.now): IdGenerator {
  let lastMs = -1;
  let counter = 0;
  return () => {
    let ms = clock();
    if (ms <= lastMs) {
      ms = lastMs;
      counter++;
      if (counter > 0xfff) {
        ms++;
        counter = 0;
      }
    } else {
      counter = randomBytes(2).readUInt16BE() & 0x7ff;
    }
    lastMs = ms;
    const bytes = randomBytes(16);
    bytes.writeUIntBE(ms, 0, 6);
    bytes[6] = 0x70 | (counter >> 8);
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}
