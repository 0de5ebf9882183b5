// Reads a server stream until the server ends it or the user presses Ctrl-C. Both are normal
// endings for a follow-style command, so neither is an error; anything else is rethrown.
import { ClientError, Status } from 'nice-grpc';
import { isAbortError } from './output.js';

export type StreamEnding = 'ended' | 'interrupted';

export async function followStream<T>(stream: AsyncIterable<T>, onMessage: (message: T) => void, interrupted: AbortSignal): Promise<StreamEnding> {
  try {
    for await (const message of stream) onMessage(message);
    return 'ended';
  } catch (error) {
    // Cancelling the call on Ctrl-C surfaces as an AbortError, or as CANCELLED when grpc-js
    // reports the cancellation first.
    const cancelled = isAbortError(error) || (error instanceof ClientError && error.code === Status.CANCELLED);
    if (interrupted.aborted && cancelled) return 'interrupted';
    throw error;
  }
}
