// Responses a handler hands out again and again (the same frozen object for the same cached
// value) are encoded once: their bytes are kept beside them until the object is collected.
// grpc-js copies the bytes into each call's frame, so one buffer serves every call.

/** Registered responses, with their encoding once made (null until the first send). */
const encodings = new WeakMap<object, Buffer | null>();

/**
 * Marks `response` as sent unchanged by many calls (it is frozen, deeply: its bytes are kept) and
 * returns it. For responses built from a value the cache shares between readers.
 */
export function reusedResponse<T extends object>(response: T): T {
  if (!encodings.has(response)) encodings.set(deepFreeze(response), null);
  return response;
}

/** `encode(value)`, made once per registered response. */
export function encodeOnce(value: unknown, encode: (value: unknown) => Buffer): Buffer {
  if (typeof value !== 'object' || value === null) return encode(value);
  const known = encodings.get(value);
  if (known !== undefined && known !== null) return known;
  const bytes = encode(value);
  if (known === null) encodings.set(value, bytes);
  return bytes;
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null && !Object.isFrozen(inner)) deepFreeze(inner);
  return Object.freeze(value);
}

/**
 * One response per source value, made on first use and reused while the value lives: for a
 * handler whose source (a cached, shared, immutable value) comes back identical on every hit.
 */
export function responsesFor<S extends object, R extends object>(make: (source: S) => R): (source: S) => R {
  const made = new WeakMap<S, R>();
  return (source) => {
    let response = made.get(source);
    if (response === undefined) {
      response = reusedResponse(make(source));
      made.set(source, response);
    }
    return response;
  };
}
