// What the grpc-js interceptor learns about a call and the nice-grpc middleware needs (and back):
// its span, deadline and verified client certificate, and the principal for the access log.
// The interceptor files a record under a fresh id in internal metadata (overwriting anything a
// client sent under that key); the middleware looks it up.
import type { Span } from '@opentelemetry/api';

export const INTERNAL_CALL_KEY = 'x-orderflow-internal-call';

export type CallRecord = {
  readonly span: Span;
  /** Epoch ms; Infinity when the client sent no deadline. */
  readonly deadline: number;
  /** Common name of the client certificate, when TLS verified one. */
  readonly clientCommonName: string | undefined;
  /** Subject of the authenticated caller, once known. */
  principal?: string;
};

export type CallRegistry = ReturnType<typeof createCallRegistry>;

export function createCallRegistry() {
  const calls = new Map<string, CallRecord>();
  let next = 0;
  return {
    add(record: CallRecord): string {
      const id = `${process.pid}-${++next}`;
      calls.set(id, record);
      return id;
    },
    get: (id: string | undefined): CallRecord | undefined => (id === undefined ? undefined : calls.get(id)),
    delete: (id: string) => calls.delete(id),
  };
}
