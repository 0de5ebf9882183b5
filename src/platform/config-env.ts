/**
 * Environment overrides of a YAML configuration: <PREFIX>A__B_C=value sets a.bC, the value read
 * as YAML. Each override remembers its variable, so that an error about a key it set names the
 * variable. When an override changes the discriminator of a section (ORDERFLOW_STORE__KIND=memory
 * over a file with `store: { kind: embedded, dataDir: … }`), the file's keys that the new kind
 * does not have are dropped with a warning: switching a section's kind from the environment must
 * not need an edit of the file. Takes the environment as an argument; reads no process state.
 */
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;

/** One <PREFIX>… variable: the key path it sets and the value it sets it to. */
export type Override = Readonly<{ variable: string; path: readonly string[]; value: unknown }>;

export function overridesFrom(env: Env, prefix: string): Override[] {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[0].startsWith(prefix) && entry[1] !== undefined)
    .map(([variable, raw]) => ({ variable, path: variable.slice(prefix.length).split('__').map(camelCase), value: parseEnvValue(raw) }));
}

/** The document with every override applied (a copy; `document` is not changed). */
export function applyOverrides(document: Record<string, unknown>, overrides: readonly Override[]): Record<string, unknown> {
  const result = structuredClone(document);
  for (const { path, value } of overrides) {
    let node: Record<string, unknown> = result;
    for (const key of path.slice(0, -1)) {
      node[key] = isMapping(node[key]) ? node[key] : {};
      node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1) as string] = value;
  }
  return result;
}

/** The variable that set the value at `path` (or a section containing it), if any did. */
export function variableFor(overrides: readonly Override[], path: readonly PropertyKey[]): string | undefined {
  const key = path.map(String);
  const setting = overrides.filter((o) => o.path.length <= key.length && o.path.every((segment, i) => segment === key[i]));
  return setting.sort((a, b) => b.path.length - a.path.length)[0]?.variable;
}

export function envNameFor(path: string, prefix: string): string {
  return (
    prefix +
    path
      .split('.')
      .map((k) => k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase())
      .join('__')
  );
}

/**
 * For each override that changed a section's discriminator from what the file had, removes from
 * `merged` (in place) the keys the file set that the new kind does not know. Keys set by
 * variables stay, so that the schema reports them naming the variable. Returns one warning per
 * section.
 */
export function dropKeysOfOtherKind(
  schema: z.ZodType,
  file: Record<string, unknown>,
  merged: Record<string, unknown>,
  overrides: readonly Override[],
): string[] {
  const warnings: string[] = [];
  for (const override of overrides) {
    const sectionPath = override.path.slice(0, -1);
    const discriminator = override.path.at(-1) as string;
    const union = unwrap(schemaAt(schema, merged, sectionPath));
    if (union?._zod.def.type !== 'union' || (union._zod.def as { discriminator?: string }).discriminator !== discriminator) continue;
    const fileSection = valueAt(file, sectionPath);
    const section = valueAt(merged, sectionPath);
    if (!isMapping(fileSection) || !isMapping(section) || fileSection[discriminator] === override.value) continue;
    const member = memberFor(union, discriminator, override.value);
    if (member === undefined) continue; // an unknown kind: the schema says which kinds exist
    const known = new Set(Object.keys(shapeOf(member) ?? {}));
    const fromFile = (key: string) => key in fileSection && variableFor(overrides, [...sectionPath, key]) === undefined;
    const dropped = Object.keys(section).filter((key) => !known.has(key) && fromFile(key));
    for (const key of dropped) delete section[key];
    if (dropped.length > 0) {
      const where = sectionPath.join('.');
      const names = dropped.map((key) => `${where}.${key}`).join(', ');
      const previous = fileSection[discriminator];
      const plural = dropped.length > 1;
      const why =
        previous === undefined
          ? `which ${plural ? 'do' : 'does'} not apply to it`
          : `which ${plural ? 'apply' : 'applies'} only to ${where}.${discriminator} ${JSON.stringify(previous)}`;
      warnings.push(
        `${override.variable} sets ${where}.${discriminator} to ${JSON.stringify(override.value)}; ignoring ${names} from the file, ${why}`,
      );
    }
  }
  return warnings;
}

/** The (unwrapped) member of a discriminated union whose discriminator accepts `value`. */
function memberFor(union: z.ZodType, discriminator: string, value: unknown): z.ZodType | undefined {
  for (const option of (union._zod.def as unknown as { options: z.ZodType[] }).options) {
    const member = unwrap(option);
    if (member?._zod.propValues?.[discriminator]?.has(value as never) === true) return member;
  }
  return undefined;
}

/** The schema of the value at `path`, following objects, arrays and discriminated members. */
export function schemaAt(schema: z.ZodType, document: unknown, path: readonly PropertyKey[]): z.ZodType | undefined {
  let node: z.ZodType | undefined = schema;
  for (const [i, key] of path.entries()) {
    node = unwrap(node);
    if (node === undefined) return undefined;
    const def = node._zod.def as { type: string; element?: z.ZodType; discriminator?: string };
    if (def.type === 'array') {
      node = def.element;
      continue;
    }
    if (def.type === 'union' && def.discriminator !== undefined) {
      const here = valueAt(document, path.slice(0, i));
      node = memberFor(node, def.discriminator, isMapping(here) ? here[def.discriminator] : undefined);
      if (node === undefined) return undefined;
    }
    node = shapeOf(node)?.[String(key)];
  }
  return node;
}

/** Strips default, prefault, optional, nullable and readonly wrappers. */
export function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let node = schema;
  while (node !== undefined && ['default', 'prefault', 'optional', 'nullable', 'readonly'].includes(node._zod.def.type)) {
    node = (node._zod.def as unknown as { innerType: z.ZodType }).innerType;
  }
  return node;
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  return schema._zod.def.type === 'object' ? (schema._zod.def as unknown as { shape: Record<string, z.ZodType> }).shape : undefined;
}

export function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let node = document;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function camelCase(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseEnvValue(raw: string): unknown {
  try {
    return parseYaml(raw) as unknown;
  } catch {
    return raw;
  }
}
