// Assertions on gRPC errors as a client sees them.
import { ClientError, Status } from 'nice-grpc';
import { BadRequest, RichClientError } from 'nice-grpc-error-details';
import { expect } from 'vitest';

/** Awaits a call that must fail; resolves with its status and field violations. */
export async function failure(call: Promise<unknown>): Promise<{ code: string; details: string; fields: string[] }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    const fields =
      error instanceof RichClientError
        ? error.extra.flatMap((detail) => (detail.$type === BadRequest.$type ? detail.fieldViolations.map((v) => v.field) : []))
        : [];
    return { code: Status[error.code], details: error.details, fields };
  }
  expect.fail('the call succeeded but was expected to fail');
}
