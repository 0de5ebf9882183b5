// The one table from domain error codes to gRPC status codes, and the conversion of anything a
// handler throws into what the client may see. Unknown errors become INTERNAL "internal error":
// their text stays in the server log.
import { ServerError, Status } from 'nice-grpc';
import { BadRequest, RichServerError } from 'nice-grpc-error-details';
import { DomainError, type DomainErrorCode } from '../../domain/errors.js';

const STATUS_BY_DOMAIN_CODE: Readonly<Record<DomainErrorCode, Status>> = {
  INVALID: Status.INVALID_ARGUMENT,
  NOT_FOUND: Status.NOT_FOUND,
  ALREADY_EXISTS: Status.ALREADY_EXISTS,
  ILLEGAL_STATE: Status.FAILED_PRECONDITION,
  VERSION_CONFLICT: Status.ABORTED,
  UNAVAILABLE: Status.UNAVAILABLE,
  FORBIDDEN: Status.PERMISSION_DENIED,
  LIMIT_EXCEEDED: Status.RESOURCE_EXHAUSTED,
};

export function statusOf(code: DomainErrorCode): Status {
  return STATUS_BY_DOMAIN_CODE[code];
}

/** The canonical name of a status code, e.g. "INVALID_ARGUMENT". */
export function statusName(code: Status): string {
  return Status[code] ?? 'UNKNOWN';
}

/** An INTERNAL error whose cause is for the log only. */
export class InternalServerError extends ServerError {
  constructor(readonly internalCause: unknown) {
    super(Status.INTERNAL, 'internal error');
  }
}

/** An abort (client cancel, shutdown) or a timeout signal's reason: the call is over, not failed. */
export function isAbortError(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** What a handler's failure becomes on the wire. Abort errors pass through (the call is gone). */
export function toServerError(error: unknown): ServerError | Error {
  if (error instanceof ServerError || isAbortError(error)) return error as Error;
  if (error instanceof DomainError) {
    const status = statusOf(error.code);
    if (error.violations.length === 0) return new ServerError(status, error.message);
    return new RichServerError(status, error.message, [
      BadRequest.fromPartial({ fieldViolations: error.violations.map((v) => ({ field: v.field, description: v.description })) }),
    ]);
  }
  return new InternalServerError(error);
}
