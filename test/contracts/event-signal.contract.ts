// The EventSignal contract: how readers of the event log wait for new events.
import { describe, expect, test } from 'vitest';
import type { EventSignal } from '../../src/domain/ports.js';

/** `open` gives the signal and a way to report a commit, as a store does after each write. */
export function eventSignalContract(name: string, open: () => Promise<{ signal: EventSignal; committed: (sequence: bigint) => void }>): void {
  describe(`EventSignal contract: ${name}`, () => {
    const settled = async (promise: Promise<unknown>, ms = 100) =>
      Promise.race([promise.then(() => 'resolved', () => 'rejected'), new Promise((resolve) => setTimeout(() => resolve('pending'), ms))]);

    test('wait resolves once an event after the given sequence is committed', async () => {
      const { signal, committed } = await open();
      const waiting = signal.wait(0n, new AbortController().signal);
      expect(await settled(waiting)).toBe('pending');
      committed(1n);
      expect(await settled(waiting)).toBe('resolved');
    });

    test('wait resolves at once when a later event is already known', async () => {
      const { signal, committed } = await open();
      committed(5n);
      expect(await settled(signal.wait(3n, new AbortController().signal), 20)).toBe('resolved');
    });

    test('wait rejects with the abort reason when its signal aborts, also if already aborted', async () => {
      const { signal } = await open();
      const abort = new AbortController();
      const waiting = signal.wait(0n, abort.signal);
      abort.abort(new Error('stop'));
      await expect(waiting).rejects.toThrow('stop');
      await expect(signal.wait(0n, abort.signal)).rejects.toThrow('stop');
    });
  });
}
