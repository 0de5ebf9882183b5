/**
 * Loads a service's configuration: YAML from the file named by CONF_PATH, then environment
 * overrides (<PREFIX>A__B_C sets a.bC), validated by the service's zod schema and cross-field
 * checks, secret references resolved. The only module that reads process.env; it knows no
 * service's keys (the schema comes in a ConfigSpec). Every failure is a ConfigError whose message
 * names each key at fault; entry points print it and exit with code 2.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { SECRET_REF_MESSAGE, type SecretRef, type WithSecrets } from './config-secret.js';
import { Secret } from './secret.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

/** What a service's configuration is: its schema, rules across keys, and its override prefix. */
export type ConfigSpec<Schema extends z.ZodType> = Readonly<{
  schema: Schema;
  /** Problems the schema cannot express (one key requiring another), one sentence each. */
  check: (parsed: z.output<Schema>) => string[];
  /** Prefix of override variables, e.g. "ORDERFLOW_": ORDERFLOW_GRPC__PORT=50052 sets grpc.port. */
  envPrefix: string;
}>;

/** The validated configuration, secrets resolved, deeply frozen. */
export type Loaded<Schema extends z.ZodType> = WithSecrets<z.output<Schema>>;

/** `defaultPath` is used when CONF_PATH is unset (developer tools; the server always needs it). */
export function loadConfig<Schema extends z.ZodType>(spec: ConfigSpec<Schema>, env: Env = process.env, defaultPath?: string): Loaded<Schema> {
  const path = env.CONF_PATH ?? defaultPath;
  if (path === undefined || path.trim() === '') {
    throw new ConfigError('CONF_PATH is not set: point it at a YAML config file, for example CONF_PATH=config/dev.yaml');
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ConfigError(`cannot read the config file CONF_PATH=${path}: ${reason}`);
  }
  return parseConfig(spec, text, path, env);
}

export function parseConfig<Schema extends z.ZodType>(spec: ConfigSpec<Schema>, text: string, source: string, env: Env = {}): Loaded<Schema> {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true }) ?? {};
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(`${source} is not valid YAML: ${detail}`);
  }
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError(`${source} must hold a YAML mapping of settings, e.g. "env: dev"`);
  }
  const merged = applyEnvOverrides(document as Record<string, unknown>, env, spec.envPrefix);
  const result = spec.schema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${describeIssue(i, merged, env, spec.envPrefix)}`);
    throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  const rules = spec.check(result.data);
  if (rules.length > 0) throw new ConfigError(`${source} is invalid:\n${rules.map((p) => `  - ${p}`).join('\n')}`);
  const problems: string[] = [];
  const resolved = resolveSecrets(result.data, [], env, problems);
  if (problems.length > 0) throw new ConfigError(`${source}: secrets could not be resolved:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return deepFreeze(resolved) as Loaded<Schema>;
}

/** <prefix>A__B_C=value sets a.bC; the value is read as YAML (numbers, booleans, lists). */
export function applyEnvOverrides(document: Record<string, unknown>, env: Env, prefix: string): Record<string, unknown> {
  const result = structuredClone(document);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const path = name.slice(prefix.length).split('__').map(camelCase);
    let node: Record<string, unknown> = result;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node[key] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {};
      node = node[key] as Record<string, unknown>;
    }
    node[path.at(-1) as string] = parseEnvValue(raw);
  }
  return result;
}

export function envNameFor(path: string, prefix: string): string {
  return prefix + path.split('.').map((k) => k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()).join('__');
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

function describeIssue(issue: z.core.$ZodIssue, document: unknown, env: Env, prefix: string): string {
  const key = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `${key === '' ? '' : `${key}: `}unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`;
  }
  const got = valueAt(document, issue.path);
  // A literal where a secret reference belongs is probably the secret itself: never echo it.
  const shown = issue.message === SECRET_REF_MESSAGE ? 'a literal value, not shown' : got === undefined ? 'nothing' : JSON.stringify(got);
  const variable = envNameFor(key, prefix);
  const from = env[variable] === undefined ? '' : `, from ${variable}`;
  return `${key || '(top level)'}: ${issue.message} (got ${shown}${from})`;
}

function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let node = document;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'fromEnv' || keys[0] === 'fromFile');
}

function resolveSecrets(value: unknown, path: string[], env: Env, problems: string[]): unknown {
  if (isSecretRef(value)) return resolveSecret(value, path.join('.'), env, problems);
  if (Array.isArray(value)) return value.map((v, i) => resolveSecrets(v, [...path, String(i)], env, problems));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveSecrets(v, [...path, k], env, problems)]));
  }
  return value;
}

function resolveSecret(ref: SecretRef, key: string, env: Env, problems: string[]): Secret | undefined {
  if ('fromEnv' in ref) {
    const value = env[ref.fromEnv];
    if (value === undefined || value === '') problems.push(`${key}: environment variable ${ref.fromEnv} is not set`);
    return new Secret(value ?? '', `env ${ref.fromEnv}`);
  }
  try {
    return new Secret(readFileSync(ref.fromFile, 'utf8').replace(/\r?\n$/, ''), `file ${ref.fromFile}`);
  } catch (error) {
    problems.push(`${key}: cannot read secret file ${ref.fromFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Secret)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The configuration as it may be logged: secrets print as "***" (see Secret). */
export function describeConfig(config: object): unknown {
  return JSON.parse(JSON.stringify(config)) as unknown;
}
