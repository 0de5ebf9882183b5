// The shape every CLI command shares, so that main.ts can parse, document and dispatch them
// from one table without knowing any command's details.
import type { ParseArgsConfig } from 'node:util';
import type { CallOptions } from 'nice-grpc';
import type { CliClients } from './connect-clients.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export type CommandInput = Readonly<{ values: OptionValues; positionals: readonly string[] }>;

export type CommandContext = Readonly<{
  clients: CliClients;
  /** The server address, for messages that must say what could not be reached. */
  address: string;
  /** Aborted by Ctrl-C: streaming commands end cleanly on it. */
  interrupted: AbortSignal;
  /** Options for a unary call: the --timeout deadline plus Ctrl-C. */
  unary(): CallOptions;
  /** Options for a streaming call: no deadline, only Ctrl-C. */
  stream(): CallOptions;
}>;

export type Command = Readonly<{
  /** The words that select the command, e.g. "orders create". */
  name: string;
  /** Synopsis lines, without the leading "orderflow ". */
  usage: readonly string[];
  summary: string;
  /** Options and behaviour, shown by `--help` on the command. */
  details: string;
  /** One runnable example, without the leading "orderflow ". */
  example: string;
  options: OptionSpec;
  /** Resolves to the process exit code. */
  run(input: CommandInput, context: CommandContext): Promise<number>;
}>;
