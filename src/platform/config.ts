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
import {
  applyOverrides,
  dropKeysOfOtherKind,
  type Env,
  type Override,
  overridesFrom,
  schemaAt,
  unwrap,
  valueAt,
  variableFor,
} from './config-env.js';
import { SECRET_REF_MESSAGE, type SecretRef, type WithSecrets } from './config-secret.js';
import { Secret } from './secret.js';

export { envNameFor, type Env } from './config-env.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

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

/**
 * Told of each setting the loader ignored (a key of another kind after an override switched a
 * section's kind), one sentence each; the caller logs them once it has a logger.
 */
export type ConfigWarnings = (message: string) => void;

/** `defaultPath` is used when CONF_PATH is unset (developer tools; the server always needs it). */
export function loadConfig<Schema extends z.ZodType>(
  spec: ConfigSpec<Schema>,
  env: Env = process.env,
  defaultPath?: string,
  warn?: ConfigWarnings,
): Loaded<Schema> {
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
  return parseConfig(spec, text, path, env, warn);
}

export function parseConfig<Schema extends z.ZodType>(
  spec: ConfigSpec<Schema>,
  text: string,
  source: string,
  env: Env = {},
  warn: ConfigWarnings = () => {},
): Loaded<Schema> {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true }) ?? {};
  } catch (error) {
    throw new ConfigError(
      error instanceof YAMLParseError ? yamlSyntaxError(source, text, error) : `${source} is not valid YAML: ${String(error)}`,
    );
  }
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError(`${source} must hold a YAML mapping of settings, e.g. "env: dev"`);
  }
  const file = document as Record<string, unknown>;
  const overrides = overridesFrom(env, spec.envPrefix);
  const merged = applyOverrides(file, overrides);
  for (const warning of dropKeysOfOtherKind(spec.schema, file, merged, overrides)) warn(warning);
  const result = spec.schema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.flatMap((i) => describeIssue(i, spec.schema, merged, overrides)).map((line) => `  - ${line}`);
    throw new ConfigError(`${source} is invalid:\n${lines.join('\n')}`);
  }
  const rules = spec.check(result.data);
  if (rules.length > 0) throw new ConfigError(`${source} is invalid:\n${rules.map((p) => `  - ${p}`).join('\n')}`);
  const problems: string[] = [];
  const resolved = resolveSecrets(result.data, [], env, problems);
  if (problems.length > 0)
    throw new ConfigError(`${source}: secrets could not be resolved:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return deepFreeze(resolved) as Loaded<Schema>;
}

/** The message of a YAML syntax error: what, where, and the offending line with a caret. */
function yamlSyntaxError(source: string, text: string, error: YAMLParseError): string {
  const reason = error.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
  const position = error.linePos?.[0];
  if (position === undefined) return `${source} is not valid YAML: ${reason}`;
  const lines = text.split(/\r?\n/);
  const gutter = String(position.line).length;
  const show = (n: number) => `  ${String(n).padStart(gutter)} | ${(lines[n - 1] ?? '').slice(0, 160)}`;
  const excerpt = [
    ...(position.line > 1 ? [show(position.line - 1)] : []),
    show(position.line),
    `  ${' '.repeat(gutter)} | ${' '.repeat(position.col - 1)}^`,
  ];
  return `${source} is not valid YAML at line ${position.line}, column ${position.col}: ${reason}\n${excerpt.join('\n')}`;
}

/** One line per problem, naming the key by its full path and the variable that set it, if one did. */
function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType, document: unknown, overrides: readonly Override[]): string[] {
  const from = (path: readonly PropertyKey[], before: string) => {
    const variable = variableFor(overrides, path);
    return variable === undefined ? '' : `${before}from ${variable}`;
  };
  if (issue.code === 'unrecognized_keys') {
    const section = unwrap(schemaAt(schema, document, issue.path));
    const discriminator = (section?._zod.def as { discriminator?: string } | undefined)?.discriminator;
    const forKind =
      discriminator === undefined
        ? ''
        : ` for ${[...issue.path, discriminator].join('.')} ${JSON.stringify(valueAt(document, [...issue.path, discriminator]))}`;
    return issue.keys.map((k) => {
      const variable = from([...issue.path, k], '');
      return `${[...issue.path, k].join('.')}: unknown key${forKind}${variable === '' ? '' : ` (${variable})`}`;
    });
  }
  const key = issue.path.map(String).join('.');
  const got = valueAt(document, issue.path);
  // A literal where a secret reference belongs is probably the secret itself: never echo it.
  const shown = issue.message === SECRET_REF_MESSAGE ? 'a literal value, not shown' : got === undefined ? 'nothing' : JSON.stringify(got);
  return [`${key || '(top level)'}: ${issue.message} (got ${shown}${from(issue.path, ', ')})`];
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
