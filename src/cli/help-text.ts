// Help and usage texts, all derived from the command table so that they cannot drift from it.
import { DEFAULT_ADDRESS, DEFAULT_TIMEOUT_SECONDS } from './args.js';
import type { Command } from './command.js';
import { DEFAULT_TOKEN_FILE } from './credentials.js';
import { EXIT_CALL_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

const GLOBAL_OPTIONS_HELP = [
  'Global options (accepted before or after the command):',
  `  --addr HOST:PORT    server address (default ${DEFAULT_ADDRESS})`,
  `  --timeout SECONDS   deadline for each unary call, sent to the server (default ${DEFAULT_TIMEOUT_SECONDS}; 0 for none); streams have none`,
  `  --token JWT         bearer token (default: the file ${DEFAULT_TOKEN_FILE} written by \`npm run token\`, if present)`,
  '  --token-file FILE   read the bearer token from FILE',
  '  --api-key KEY       authenticate with an API key (x-api-key) instead',
  '  --tls               use TLS (implied by --ca-file or --cert-file)',
  '  --ca-file FILE      PEM CA bundle to verify the server (default: the system roots)',
  '  --cert-file FILE --key-file FILE   client certificate for mTLS',
  '  -h, --help          show help for orderflow, a command group or a command',
];

const CONVENTIONS = [
  'Output: each response message as proto3 JSON (int64 as strings, enums as names, timestamps in',
  'RFC 3339); streaming commands print one JSON object per line (NDJSON). Notes go to stderr.',
  '',
  `Exit codes: ${EXIT_OK} success; ${EXIT_CALL_FAILED} the call failed ("error: STATUS: details" on stderr, with one`,
  `"  field: description" line per invalid field); ${EXIT_USAGE} usage or input error (a flag, a JSON`,
  `argument, a file that cannot be read); ${EXIT_INTERRUPTED} interrupted by Ctrl-C, also when a streaming`,
  'command (watch, track) stopped cleanly on it.',
];

function synopsis(command: Command): string[] {
  return command.usage.map((line, index) => `${index === 0 ? 'Usage: ' : '       '}orderflow ${line}`);
}

export function overview(commands: readonly Command[]): string {
  const entries = commands.flatMap((command) => [
    ...command.usage.map((line) => `  ${line}`),
    `      ${command.summary}`,
    `      e.g. orderflow ${command.example}`,
    '',
  ]);
  return [
    'orderflow: command-line client for the orderflow gRPC order service',
    '',
    'Usage: orderflow [--addr HOST:PORT] [--timeout SECONDS] [--token JWT] [--tls ...] <command> [options]',
    '',
    'Commands:',
    ...entries,
    ...GLOBAL_OPTIONS_HELP,
    '',
    ...CONVENTIONS,
    '',
    "Run 'orderflow <command> --help' for a command's options, e.g. 'orderflow orders create --help'.",
  ].join('\n');
}

export function groupHelp(group: string, commands: readonly Command[]): string {
  const lines = commands.flatMap((command) => [...command.usage.map((line) => `  orderflow ${line}`), `      ${command.summary}`]);
  return [`Commands of '${group}':`, ...lines, '', `Run 'orderflow ${group} <command> --help' for details.`].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    ...synopsis(command),
    '',
    command.summary,
    '',
    command.details,
    '',
    'Example:',
    `  orderflow ${command.example}`,
    '',
    ...GLOBAL_OPTIONS_HELP,
  ].join('\n');
}

/** What a usage error prints after its message: the synopsis and where to find more. */
export function shortUsage(command: Command | undefined): string {
  if (command === undefined)
    return "Usage: orderflow [--addr HOST:PORT] [--timeout SECONDS] [--token JWT] [--tls ...] <command> [options]\nRun 'orderflow --help' for the list of commands.";
  return [...synopsis(command), `Run 'orderflow ${command.name} --help' for details.`].join('\n');
}
