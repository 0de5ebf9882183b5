// The rejections of the Cache port (see its TSDoc), named so that metrics can tell them apart
// without knowing which cache failed.
import { type CallScope, isAborted, UNBOUNDED } from '../domain/call-scope.js';

export type CacheFailureName = 'TimeoutError' | 'AbortError' | 'CacheUnavailableError' | 'CacheError';

export function cacheFailure(name: CacheFailureName, message: string, cause?: unknown): Error {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = name;
  return error;
}

/** The failure of a call made with a scope that has already ended, or undefined while it lasts. */
export function endedScopeFailure(scope: CallScope, now = Date.now()): Error | undefined {
  if (scope === UNBOUNDED) return undefined;
  if (isAborted(scope)) return cacheFailure('AbortError', 'the caller went away before the cache call', scope.signal.reason);
  if (now >= scope.deadline) return cacheFailure('TimeoutError', "the caller's deadline passed before the cache call");
  return undefined;
}
