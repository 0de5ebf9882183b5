// The EventSignal contract: how readers of the event log wait for new events. `committed` reports
// a commit as a store does: in this process (LocalEventSignal), or by another process writing to
// the same database (PostgresEventSignal). A wake-up is awaited, never timed: the suite's timeout
// only catches one that never comes. "Still pending" is checked after a short pause, which can
// only ever hide a bug, never fail a correct signal.
import { describe, expect, test } from 'vitest';
import type { EventSignal } from '../../src/domain/ports.js';

export type OpenedSignal = { signal: EventSignal; committed: (sequence: bigint) => void | Promise<void> };

/** `open` gives a fresh signal over an empty log, and a way to commit up to a sequence. */
export function eventSignalContract(name: string, open: () => Promise<OpenedSignal>): void {
  describe(`EventSignal contract: ${name}`, () => {
    const pending = async (promise: Promise<unknown>, ms = 100) =>
      Promise.race([
        promise.then(
          () => 'resolved',
          () => 'rejected',
        ),
        new Promise((resolve) => setTimeout(() => resolve('pending'), ms)),
      ]);

    test('wait resolves once an event after the given sequence is committed', async () => {
      const { signal, committed } = await open();
      const waiting = signal.wait(0n, new AbortController().signal);
      expect(await pending(waiting)).toBe('pending');
      await committed(1n);
      await expect(waiting).resolves.toBeUndefined();
    });

    test('wait resolves when a later event is already committed', async () => {
      const { signal, committed } = await open();
      await committed(5n);
      await expect(signal.wait(3n, new AbortController().signal)).resolves.toBeUndefined();
    });

    test('wait stays pending while nothing after the given sequence is committed', async () => {
      const { signal, committed } = await open();
      await committed(2n);
      await signal.wait(1n, new AbortController().signal);
      expect(await pending(signal.wait(2n, new AbortController().signal))).toBe('pending');
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
