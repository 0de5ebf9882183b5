// Lines of a file or of stdin ("-"), read as they arrive so that a large import or a long
// interactive session never sits in memory as a whole.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { openInputStream } from './input-file.js';

export type Line = Readonly<{ number: number; text: string }>;

/**
 * Opens the source first, so that a missing file fails (an InputError naming `what`) before any
 * call is started.
 */
export async function openLines(source: string, what: string, signal: AbortSignal): Promise<AsyncIterable<Line>> {
  const input: Readable = source === '-' ? process.stdin : await openInputStream(source, what);
  return numbered(input, signal);
}

async function* numbered(input: Readable, signal: AbortSignal): AsyncGenerator<Line> {
  // The signal closes the interface, which ends the iteration even while waiting for input.
  const lines = createInterface({ input, crlfDelay: Infinity, signal });
  let number = 0;
  try {
    for await (const text of lines) {
      number++;
      yield { number, text };
    }
  } finally {
    lines.close();
    if (input !== process.stdin) input.destroy();
  }
}
