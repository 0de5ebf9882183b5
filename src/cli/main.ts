#!/usr/bin/env node
// orderflow: the command-line client. Finds the command, parses its flags, runs it against the
// server and turns every failure into a message on stderr and an exit code (see --help).
import { parseArgs } from 'node:util';
import { ClientError, Metadata, Status } from 'nice-grpc';
import {
  DEFAULT_ADDRESS,
  flagValue,
  GLOBAL_OPTIONS,
  InputError,
  splitCommandWords,
  stringValue,
  timeoutMs,
  UsageError,
  wantsHelp,
} from './args.js';
import type { Command, CommandContext, CommandInput } from './command.js';
import { commands, commandsInGroup, findCommand, takesSubcommand } from './commands.js';
import { connectClients } from './connect-clients.js';
import { callMetadata, channelCredentials } from './credentials.js';
import { commandHelp, groupHelp, overview, shortUsage } from './help-text.js';
import { EXIT_CALL_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { describeClientError, isAbortError } from './output.js';

type Session = Readonly<{ address: string; timeoutMs: number | undefined; interrupted: AbortSignal; metadata: Metadata }>;

function parseCommandArgs(command: Command, args: string[]): CommandInput {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    });
    return { values, positionals };
  } catch (error) {
    // parseArgs reports unknown flags and missing flag values as TypeErrors with an ERR_PARSE_ARGS_* code.
    if (error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(error.message.split('. ')[0] ?? error.message);
    }
    throw error;
  }
}

/** `orderflow`, `orderflow orders` or an unknown command: help when asked for, else a usage error. */
function incompleteCommand(words: readonly string[], rest: readonly string[]): number {
  const group = words[0];
  if (group === undefined || group === 'help') {
    if (group === undefined && !wantsHelp(rest)) throw new UsageError('missing command');
    console.log(overview(commands));
    return 0;
  }
  const inGroup = commandsInGroup(group);
  if (inGroup.length === 0 || words.length > 1) throw new UsageError(`unknown command '${words.join(' ')}'`);
  if (wantsHelp(rest)) {
    console.log(groupHelp(group, inGroup));
    return 0;
  }
  const names = inGroup.map((command) => command.name.slice(group.length + 1));
  throw new UsageError(`missing command after '${group}'; one of: ${names.join(', ')}`);
}

function commandContext(session: Session, clients: ReturnType<typeof connectClients>): CommandContext {
  const { address, timeoutMs: timeout, interrupted, metadata } = session;
  return {
    clients,
    address,
    interrupted,
    // nice-grpc has no deadline option of its own: a timeout signal cancels the call here, and
    // the grpc-timeout header tells the server, so that it stops (and commits nothing) in time too.
    unary: () =>
      timeout === undefined
        ? { metadata, signal: interrupted }
        : { metadata: withDeadline(metadata, timeout), signal: AbortSignal.any([interrupted, AbortSignal.timeout(timeout)]) },
    stream: () => ({ metadata, signal: interrupted }),
  };
}

/**
 * The call's metadata plus `grpc-timeout` (gRPC over HTTP/2: at most 8 digits and a unit), which
 * grpc-js passes through as it does its own when given a deadline.
 */
function withDeadline(metadata: Metadata, timeoutMs: number): Metadata {
  const copy = Metadata(metadata);
  copy.set('grpc-timeout', timeoutMs < 1e8 ? `${Math.ceil(timeoutMs)}m` : `${Math.ceil(timeoutMs / 1000)}S`);
  return copy;
}

async function runCommand(command: Command, input: CommandInput): Promise<number> {
  const interrupt = new AbortController();
  const session: Session = {
    address: stringValue(input.values, 'addr') ?? DEFAULT_ADDRESS,
    timeoutMs: timeoutMs(input.values),
    interrupted: interrupt.signal,
    metadata: callMetadata(input.values),
  };
  // Only the first Ctrl-C is handled: a second one falls back to Node's default and kills the process.
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  const clients = connectClients(session.address, channelCredentials(input.values));
  try {
    return await command.run(input, commandContext(session, clients));
  } catch (error) {
    return reportCallFailure(error, session);
  } finally {
    process.removeListener('SIGINT', onSigint);
    clients.close();
  }
}

function reportCallFailure(error: unknown, session: Session): number {
  if (error instanceof ClientError) {
    for (const line of describeClientError(error, session.address)) console.error(line);
    return EXIT_CALL_FAILED;
  }
  if (isAbortError(error) && session.interrupted.aborted) {
    console.error('interrupted: the call was cancelled');
    return EXIT_INTERRUPTED;
  }
  // AbortSignal.timeout aborts with a TimeoutError; nice-grpc rethrows the signal's reason.
  if (isAbortError(error) || (error instanceof Error && error.name === 'TimeoutError')) {
    console.error(
      `error: ${Status[Status.DEADLINE_EXCEEDED]}: no response from ${session.address} within ${(session.timeoutMs ?? 0) / 1000}s (see --timeout)`,
    );
    return EXIT_CALL_FAILED;
  }
  throw error;
}

function reportUsageOrInput(error: unknown, command: Command | undefined): number {
  if (error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    console.error(shortUsage(command));
    return EXIT_USAGE;
  }
  if (error instanceof InputError) {
    console.error(`error: ${error.message}`);
    return EXIT_USAGE;
  }
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT_CALL_FAILED;
}

export async function main(argv: readonly string[]): Promise<number> {
  const { words, rest } = splitCommandWords(argv, takesSubcommand);
  const command = findCommand(words);
  try {
    if (command === undefined) return incompleteCommand(words, rest);
    const input = parseCommandArgs(command, rest);
    if (flagValue(input.values, 'help')) {
      console.log(commandHelp(command));
      return EXIT_OK;
    }
    return await runCommand(command, input);
  } catch (error) {
    return reportUsageOrInput(error, command);
  }
}

// A reader closing our stdout early (`orderflow orders list | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

const exitCode = await main(process.argv.slice(2));
// stdin (orders track, import -) would keep the process alive, so exit explicitly, but only once
// stdout and stderr are flushed: on some platforms pipes are written asynchronously.
process.stdout.write('', () => process.stderr.write('', () => process.exit(exitCode)));
