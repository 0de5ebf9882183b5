// Hostile protobuf payloads: seeded random byte strings and random-but-well-framed fields, and
// structural mutations of a valid encoding (the cases decoders get wrong: truncation, repeated
// fields, wrong wire types, over-long varints, lengths that point past the end).
import type { Prng } from './support.js';

type Field = { wire: number; start: number; body: number; end: number };

export function varint(value: bigint): number[] {
  let rest = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  return [...out, Number(rest)];
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 10 && at + i < bytes.length; i++) {
    const byte = bytes[at + i] as number;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return { value, next: at + i + 1 };
  }
  return undefined;
}

/** The top-level fields of a well-formed encoding; undefined for anything else. */
function fieldsOf(bytes: Uint8Array): Field[] | undefined {
  const fields: Field[] = [];
  for (let at = 0; at < bytes.length;) {
    const tag = readVarint(bytes, at);
    if (tag === undefined) return undefined;
    const wire = tag.value % 8;
    const width = wire === 0 ? (readVarint(bytes, tag.next)?.next ?? NaN) - tag.next : wire === 1 ? 8 : wire === 5 ? 4 : NaN;
    const length = wire === 2 ? readVarint(bytes, tag.next) : undefined;
    const body = length?.next ?? tag.next;
    const end = body + (length?.value ?? width);
    if (!(end <= bytes.length)) return undefined;
    fields.push({ wire, start: at, body, end });
    at = end;
  }
  return fields;
}

const join = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

function bitFlips(base: Uint8Array, rng: Prng, count: number): Uint8Array[] {
  if (base.length === 0) return [];
  return Array.from({ length: count }, () => {
    const copy = Uint8Array.from(base);
    for (let flips = 1 + rng.int(3); flips > 0; flips--) {
      const at = rng.int(copy.length);
      copy[at] = (copy[at] as number) ^ (1 << rng.int(8));
    }
    return copy;
  });
}

const truncations = (base: Uint8Array) => Array.from({ length: base.length }, (_, n) => base.slice(0, n));

/** Each field repeated, and the whole message twice (proto3: last scalar wins, repeated append). */
function duplications(base: Uint8Array, fields: Field[]): Uint8Array[] {
  return [join(base, base), ...fields.map((f) => join(base, base.subarray(f.start, f.end)))];
}

/** Each field's tag rewritten with every other wire type, including the invalid 6 and 7. */
function wrongWireTypes(base: Uint8Array, fields: Field[]): Uint8Array[] {
  return fields.flatMap((f) => {
    const tag = readVarint(base, f.start) as { value: number; next: number };
    const fieldNo = Math.floor(tag.value / 8);
    return [0, 1, 2, 3, 4, 5, 6, 7]
      .filter((wire) => wire !== f.wire)
      .map((wire) => join(base.subarray(0, f.start), varint(BigInt(fieldNo * 8 + wire)), base.subarray(tag.next)));
  });
}

/** Tags padded to 11 bytes, and a field whose varint never ends within 12 bytes. */
function overlongVarints(base: Uint8Array, fields: Field[]): Uint8Array[] {
  const padded = fields.map((f) => {
    const tag = readVarint(base, f.start) as { value: number; next: number };
    const bytes = varint(BigInt(tag.value)).map((b) => b | 0x80);
    const long = [...bytes, ...new Array<number>(11 - bytes.length - 1).fill(0x80), 0x00];
    return join(base.subarray(0, f.start), long, base.subarray(tag.next));
  });
  return [...padded, join(base, [0x08], new Array<number>(12).fill(0xff), [0x01]), join([0x10], new Array<number>(11).fill(0x80))];
}

/** Length prefixes of length-delimited fields that claim more bytes than there are. */
function pastTheEnd(base: Uint8Array, fields: Field[]): Uint8Array[] {
  return fields
    .filter((f) => f.wire === 2)
    .flatMap((f) => {
      const tag = readVarint(base, f.start) as { next: number };
      const remaining = BigInt(base.length - f.body);
      return [remaining + 1n, remaining + 1000n, 0xffffffffn, 1n << 62n].map((length) =>
        join(base.subarray(0, tag.next), varint(length), base.subarray(f.body)),
      );
    });
}

function structural(base: Uint8Array): Uint8Array[] {
  const fields = fieldsOf(base) ?? [];
  return [
    ...truncations(base),
    ...duplications(base, fields),
    ...wrongWireTypes(base, fields),
    ...overlongVarints(base, fields),
    ...pastTheEnd(base, fields),
  ];
}

/** Structural mutations of embedded messages, re-framed with a correct outer length. */
function nested(base: Uint8Array): Uint8Array[] {
  return (fieldsOf(base) ?? [])
    .filter((f) => f.wire === 2 && f.end > f.body && fieldsOf(base.subarray(f.body, f.end)) !== undefined)
    .flatMap((f) => {
      const tag = readVarint(base, f.start) as { next: number };
      return structural(base.subarray(f.body, f.end)).map((inner) =>
        join(base.subarray(0, tag.next), varint(BigInt(inner.length)), inner, base.subarray(f.end)),
      );
    });
}

export function mutations(base: Uint8Array, rng: Prng): Uint8Array[] {
  return [...bitFlips(base, rng, 80), ...structural(base), ...nested(base)];
}

const SAMPLE_STRINGS = ['cup', 'espresso', 'tea', '', 'a\u0000b', '\u00ff', '0190a6e2-5c3b-7d4e-8f00-1a2b3c4d5e6f', 'x'.repeat(200)];

/** A value for a length-delimited field: random bytes, a telling string, or embedded fields. */
function randomLengthDelimited(rng: Prng, depth: number): number[] {
  const choice = rng.int(4);
  if (choice === 0 && depth < 3) return Array.from(randomFields(rng, 1 + rng.int(3), depth + 1));
  if (choice === 1) return Array.from(Buffer.from(SAMPLE_STRINGS[rng.int(SAMPLE_STRINGS.length)] as string, 'latin1'));
  return Array.from(rng.bytes(rng.int(24)));
}

/** Well-framed fields with random numbers, wire types and values: these get past decoding. */
function randomFields(rng: Prng, count: number, depth = 0): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const fieldNo = rng.next() < 0.9 ? 1 + rng.int(5) : 1 + rng.int(2 ** 29 - 1);
    const wire = [0, 0, 2, 2, 2, 1, 5][rng.int(7)] as number;
    out.push(...varint(BigInt(fieldNo * 8 + wire)));
    if (wire === 0) out.push(...varint(BigInt(rng.int(2 ** 31)) * (rng.next() < 0.5 ? 1n : -1n) * BigInt(1 + rng.int(2 ** 31))));
    if (wire === 1 || wire === 5) out.push(...rng.bytes(wire === 1 ? 8 : 4));
    if (wire === 2) {
      const value = randomLengthDelimited(rng, depth);
      out.push(...varint(BigInt(value.length)), ...value);
    }
  }
  return Uint8Array.from(out);
}

/** Half raw random bytes, half random fields; lengths up to 96 bytes. */
export function randomInputs(rng: Prng, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? rng.bytes(rng.int(97)) : randomFields(rng, 1 + rng.int(6))));
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
