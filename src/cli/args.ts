// Command-line parsing shared by every command: the global options, finding the command words,
// and typed access to parseArgs values with usage errors that name the offending flag.
import type { OptionSpec, OptionValues } from './command.js';

/** Wrong invocation: the CLI prints a short usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Malformed input data (a JSON argument or file): reported without usage, exit 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

export const DEFAULT_ADDRESS = 'localhost:50051';
export const DEFAULT_TIMEOUT_SECONDS = 10;

export const GLOBAL_OPTIONS: OptionSpec = {
  addr: { type: 'string' },
  timeout: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'api-key': { type: 'string' },
  tls: { type: 'boolean' },
  'ca-file': { type: 'string' },
  'cert-file': { type: 'string' },
  'key-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const GLOBAL_FLAGS_WITH_VALUE = new Set([
  '--addr',
  '--timeout',
  '--token',
  '--token-file',
  '--api-key',
  '--ca-file',
  '--cert-file',
  '--key-file',
]);

/**
 * Takes the command words ("orders", "create") out of argv. Global options may come before or
 * between them; everything else stays for the command's own parser, which knows its flags.
 */
export function splitCommandWords(argv: readonly string[], takesSubcommand: (group: string) => boolean) {
  const rest = [...argv];
  const words: string[] = [];
  let index = 0;
  while (index < rest.length) {
    const token = rest[index] ?? '';
    if (token === '--') break;
    if (token.startsWith('-')) {
      index += GLOBAL_FLAGS_WITH_VALUE.has(token) ? 2 : 1;
      continue;
    }
    words.push(token);
    rest.splice(index, 1);
    const group = words[0] ?? '';
    if (words.length === 2 || !takesSubcommand(group)) break;
  }
  return { words, rest };
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((token) => token === '--help' || token === '-h');
}

export function stringValue(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredString(values: OptionValues, name: string): string {
  const value = stringValue(values, name);
  if (value === undefined) throw new UsageError(`missing --${name}`);
  return value;
}

export function stringList(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (!Array.isArray(value)) return typeof value === 'string' ? [value] : [];
  return value.filter((item): item is string => typeof item === 'string');
}

export function flagValue(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

const INT32_MAX = 2 ** 31 - 1;

/** A non-negative int32 flag, e.g. --page-size. */
export function intValue(values: OptionValues, name: string): number | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) > INT32_MAX) throw new UsageError(`--${name} must be a whole number, got '${text}'`);
  return Number(text);
}

/** A non-negative int64 flag, e.g. --after; kept as bigint so no precision is lost. */
export function int64Value(values: OptionValues, name: string): bigint | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  if (!/^\d{1,19}$/.test(text)) throw new UsageError(`--${name} must be a whole number, got '${text}'`);
  return BigInt(text);
}

/** Checks the positional arguments' count; `names` describes them for the message. */
export function expectPositionals(positionals: readonly string[], min: number, max: number, names: string): void {
  if (positionals.length < min) throw new UsageError(`missing ${names}`);
  if (positionals.length > max) throw new UsageError(`unexpected argument '${positionals[max] ?? ''}'`);
}

/** --timeout in seconds; 0 means no deadline. */
export function timeoutMs(values: OptionValues): number | undefined {
  const text = stringValue(values, 'timeout');
  if (text === undefined) return DEFAULT_TIMEOUT_SECONDS * 1000;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageError(`--timeout must be a number of seconds, got '${text}'`);
  const ms = Math.round(Number(text) * 1000);
  return ms === 0 ? undefined : ms;
}
