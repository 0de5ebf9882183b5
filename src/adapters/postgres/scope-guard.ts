// The caller's CallScope applied to a driver's work, for both SQL drivers: a query or transaction
// step is given up as soon as the scope's deadline passes or its signal aborts, and the
// connection it was using is abandoned (the pg driver destroys it; PGlite's result is dropped).
import type { CallScope } from '../../domain/call-scope.js';
import { DomainError } from '../../domain/errors.js';

export const deadlineExceeded = (cause?: unknown) =>
  new DomainError('DEADLINE_EXCEEDED', "the caller's deadline passed before the store answered; nothing was committed", [], { cause });

/** What an aborted scope's reason becomes: its deadline, or the caller's cancellation as it is. */
const abortError = (reason: unknown): Error =>
  (reason as { name?: string } | undefined)?.name === 'TimeoutError' ? deadlineExceeded(reason) : (reason as Error);

/** Bounds one piece of a driver's work by the scope it was given. */
export type Guard = <T>(work: Promise<T>) => Promise<T>;

/**
 * `work` within the scope: rejects as soon as the scope's deadline passes or its signal aborts,
 * after calling `abandon` (the connection is left mid-query and must not be reused). SQLSTATE
 * 57014 (a statement timeout, or the pg driver's commit guard) is the deadline too.
 */
export function within<T>(work: Promise<T>, scope: CallScope, abandon: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const giveUp = (error: Error) => {
      cleanup();
      abandon();
      work.catch(() => undefined); // it fails or is ignored once abandoned
      reject(error);
    };
    const onAbort = () => giveUp(abortError(scope.signal.reason));
    const remaining = scope.deadline - Date.now();
    const timer = Number.isFinite(remaining) ? setTimeout(() => giveUp(deadlineExceeded()), Math.max(0, remaining)) : undefined;
    const cleanup = () => {
      clearTimeout(timer);
      scope.signal.removeEventListener('abort', onAbort);
    };
    if (scope.signal.aborted) return onAbort();
    scope.signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject((error as { code?: unknown }).code === '57014' ? deadlineExceeded(error) : (error as Error));
      },
    );
  });
}
