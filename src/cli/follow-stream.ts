// Reads a server stream until the server ends it, the command decides it is done, or the user
// presses Ctrl-C. None of these is a call failure; anything else is rethrown.
import { ClientError, Status } from 'nice-grpc';
import { EXIT_INTERRUPTED, EXIT_OK } from './exit-codes.js';
import { isAbortError } from './output.js';

/** `ended`: by the server; `finished`: by the command (its `finished` signal); `interrupted`: by Ctrl-C. */
export type StreamEnding = 'ended' | 'finished' | 'interrupted';

export type StreamStops = Readonly<{ interrupted: AbortSignal; finished?: AbortSignal }>;

export async function followStream<T>(
  stream: AsyncIterable<T>,
  onMessage: (message: T) => void,
  stops: StreamStops,
): Promise<StreamEnding> {
  try {
    for await (const message of stream) onMessage(message);
    return 'ended';
  } catch (error) {
    // Cancelling the call surfaces as an AbortError, or as CANCELLED when grpc-js reports the
    // cancellation first.
    const cancelled = isAbortError(error) || (error instanceof ClientError && error.code === Status.CANCELLED);
    if (cancelled && stops.interrupted.aborted) return 'interrupted';
    if (cancelled && stops.finished?.aborted === true) return 'finished';
    throw error;
  }
}

/** Ctrl-C exits 130 even though the stream stopped cleanly, so that scripts can tell. */
export function exitCodeOf(ending: StreamEnding): number {
  return ending === 'interrupted' ? EXIT_INTERRUPTED : EXIT_OK;
}
