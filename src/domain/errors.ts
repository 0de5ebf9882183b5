/**
 * The closed set of ways a domain operation can fail. The gRPC transport maps each code to a
 * status code in one table (src/transport/grpc/error-table.ts); anything that is not a
 * DomainError is an internal error whose text never reaches a client.
 */
export type DomainErrorCode =
  /** The request itself is malformed; `violations` names the offending fields. */
  | 'INVALID'
  /** The addressed entity does not exist. */
  | 'NOT_FOUND'
  /** The request conflicts with an entity that already exists. */
  | 'ALREADY_EXISTS'
  /** The entity is not in a state that allows the operation (an illegal status transition). */
  | 'ILLEGAL_STATE'
  /** Optimistic concurrency: the entity changed since the caller read it. */
  | 'VERSION_CONFLICT'
  /** A dependency (store, remote service) cannot be reached right now; retrying may succeed. */
  | 'UNAVAILABLE'
  /** The caller is known but may not act on this entity (another customer's order). */
  | 'FORBIDDEN'
  /** The request exceeds a configured limit (e.g. items in one import). */
  | 'LIMIT_EXCEEDED'
  /** The caller's deadline passed before the work could finish; nothing was committed. */
  | 'DEADLINE_EXCEEDED'
  /** A position past the end of what exists (e.g. a download offset beyond the file). */
  | 'OUT_OF_RANGE'
  /**
   * A stream's consumer read too slowly: more events were waiting for it than the configured
   * buffer (limits.watchBufferEvents). The stream was ended; the message names the last sequence
   * it delivered, from which the client resumes.
   */
  | 'FELL_BEHIND';

/** A field-level problem, named by its path in the API (snake_case, e.g. `items[1].quantity`). */
export type FieldViolation = Readonly<{ field: string; description: string }>;

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly violations: readonly FieldViolation[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Collects field violations and throws one INVALID error naming all of them. */
export class Violations {
  private readonly list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.list.push({ field, description });
  }

  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  throwIfAny(): void {
    if (this.list.length === 0) return;
    const summary = this.list.map((v) => `${v.field}: ${v.description}`).join('; ');
    throw new DomainError('INVALID', `invalid request: ${summary}`, [...this.list]);
  }
}

/** An INVALID error for a single field. */
export function invalidField(field: string, description: string): DomainError {
  return new DomainError('INVALID', `invalid request: ${field}: ${description}`, [{ field, description }]);
}

export function notFound(what: string, id: string): DomainError {
  return new DomainError('NOT_FOUND', `${what} ${JSON.stringify(id)} not found`);
}
