/**
 * The caller's deadline and cancellation, on one channel from the transport to every adapter:
 * `signal` aborts when the caller goes away or its deadline passes, and `deadline` (epoch
 * milliseconds, Infinity for none) tells an adapter how long it may still take, so that a query
 * gets a statement timeout and a downstream call a grpc-timeout that end with the caller's time.
 */
export type CallScope = Readonly<{
  signal: AbortSignal;
  deadline: number;
  /**
   * Whether `signal` has aborted, when the scope can tell without making its signal: a call's
   * signal is made on first use, and one per call just to ask this cost ~4 % of a cached read.
   */
  aborted?: boolean;
}>;

/** Whether the scope's caller went away (or its call ended), without making its signal. */
export function isAborted(scope: CallScope): boolean {
  return scope.aborted ?? scope.signal.aborted;
}

/** For work no caller waits on (startup, background jobs): never aborted, no deadline. */
export const UNBOUNDED: CallScope = Object.freeze({ signal: new AbortController().signal, deadline: Infinity });

/** Milliseconds left before the scope's deadline (Infinity when it has none; 0 once passed). */
export function remainingMs(scope: CallScope, now: number = Date.now()): number {
  return Math.max(0, scope.deadline - now);
}
