// The messages between the PGlite driver (main thread) and the worker thread that owns PGlite.
// A transaction is opened with `begin`, which replies with its id once PGlite's transaction has
// started; queries carrying that id run inside it until `commit` or `rollback`. Values cross the
// thread boundary by structured clone (bigint, Date and parsed jsonb survive it).

/** What the worker needs to open PGlite: where, and the PostgreSQL settings it starts with. */
export type PgliteWorkerData = Readonly<{ dataDir: string | undefined; settings: Readonly<Record<string, string>> }>;

export type PgliteRequest =
  | { id: number; op: 'query'; tx: number | undefined; text: string; params: readonly unknown[] }
  | { id: number; op: 'exec'; tx: number | undefined; script: string }
  | { id: number; op: 'begin' }
  | { id: number; op: 'commit' | 'rollback'; tx: number }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'close' };

/** A NOTIFY heard by a `listen` request, forwarded as it arrives (no id: it answers no request). */
export type PgliteNotification = { notification: { channel: string; payload: string } };

/** PostgreSQL's error fields (an Error's own properties are lost in structured clone). */
export type WireError = Readonly<{ message: string; fields: Readonly<Record<string, string>> }>;

export type PgliteReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** The first message of the worker: PGlite is open, or it could not be. */
export type PgliteStarted = { started: true } | { started: false; error: WireError };

const FIELDS = [
  'code',
  'severity',
  'detail',
  'hint',
  'position',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
] as const;

/** The message and the PostgreSQL fields of an error; never the query parameters PGlite attaches. */
export function toWireError(error: unknown): WireError {
  const source = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const fields: Record<string, string> = {};
  for (const name of FIELDS) if (typeof source[name] === 'string') fields[name] = source[name];
  return { message: error instanceof Error ? error.message : String(error), fields };
}

export function fromWireError(wire: WireError): Error {
  return Object.assign(new Error(wire.message), wire.fields);
}
