// Everything the CLI writes: responses as proto3 JSON on stdout, notes and errors on stderr.
// Callers pass the result of a generated `X.toJSON(message)`, so int64 values are already
// strings, enums names and timestamps RFC 3339.
import { type ClientError, Status } from 'nice-grpc';
import { BadRequest, RichClientError } from 'nice-grpc-error-details';

/** One response, indented for people. */
export function printJson(json: unknown): void {
  console.log(JSON.stringify(json, null, 2));
}

/** One message of a stream, on one line (NDJSON), so tools like jq can follow the stream. */
export function printJsonLine(json: unknown): void {
  console.log(JSON.stringify(json));
}

/** Progress and hints go to stderr so that stdout stays machine-readable. */
export function note(message: string): void {
  console.error(message);
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** The lines describing a failed call: `error: STATUS: details`, then any field violations. */
export function describeClientError(error: ClientError, address: string): string[] {
  const name = Status[error.code] ?? `STATUS_${error.code}`;
  const details = error.code === Status.UNAVAILABLE ? unavailableDetails(error.details, address) : error.details;
  const lines = [`error: ${name}: ${details}`];
  if (error instanceof RichClientError) {
    for (const detail of error.extra) {
      if (detail.$type !== BadRequest.$type) continue;
      for (const violation of detail.fieldViolations) lines.push(`  ${violation.field}: ${violation.description}`);
    }
  }
  return lines;
}

// grpc-js reports a refused or unresolvable connection with its own wording ("No connection
// established", "Name resolution failed"...) that never names the address the user gave.
const CONNECTION_FAILURE = /no connection established|failed to connect|connection dropped|resolution|ECONNREFUSED|ENOTFOUND/i;

function unavailableDetails(details: string, address: string): string {
  // grpc-js appends an empty "Resolution note: " when name resolution had nothing to add.
  const trimmed = details.replace(/\s*Resolution note:\s*$/, '');
  if (CONNECTION_FAILURE.test(trimmed)) return `could not reach ${address}: ${trimmed}`;
  return `${trimmed} (server at ${address})`;
}
