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

/**
 * The lines describing a failed call: `error: STATUS: summary`, then one line per field
 * violation. The server's message already lists the violations (for clients that cannot read
 * the details); that list is left out of the first line so that each field is shown once.
 */
export function describeClientError(error: ClientError, address: string): string[] {
  const name = Status[error.code] ?? `STATUS_${error.code}`;
  const details = error.code === Status.UNAVAILABLE ? unavailableDetails(error.details, address) : error.details;
  const fields = [...new Set(fieldViolations(error).map(({ field, description }) => `${field}: ${description}`))];
  return [`error: ${name}: ${withoutListed(details, fields)}`, ...fields.map((line) => `  ${line}`)];
}

function fieldViolations(error: ClientError): readonly { field: string; description: string }[] {
  if (!(error instanceof RichClientError)) return [];
  return error.extra.flatMap((detail) => (detail.$type === BadRequest.$type ? detail.fieldViolations : []));
}

/** "invalid request: a: x; b: y" less the listed "a: x", "b: y" is "invalid request". */
function withoutListed(details: string, fields: readonly string[]): string {
  const listed = fields.join('; ');
  if (fields.length === 0 || !details.endsWith(listed)) return details;
  const summary = details.slice(0, details.length - listed.length).replace(/[\s:;]+$/, '');
  return summary === '' ? 'invalid fields' : summary;
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
