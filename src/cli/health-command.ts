// `orderflow health`: grpc.health.v1 Check, or Watch with --watch.
import { expectPositionals, flagValue, stringValue } from './args.js';
import type { Command, CommandContext } from './command.js';
import { exitCodeOf, followStream } from './follow-stream.js';
import { note, printJson, printJsonLine } from './output.js';

// nice-grpc-server-health exports the health service but not its message helpers, so the
// proto3 JSON enum names of HealthCheckResponse.ServingStatus are spelled out here.
const SERVING_STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

function statusJson(status: number): { status: string } {
  return { status: SERVING_STATUS_NAMES[status] ?? 'UNRECOGNIZED' };
}

async function check(service: string, context: CommandContext): Promise<number> {
  const response = await context.clients.health.check({ service }, context.unary());
  const json = statusJson(response.status);
  printJson(json);
  // A non-zero exit lets scripts and probes use the command directly.
  return json.status === 'SERVING' ? 0 : 1;
}

async function watch(service: string, context: CommandContext): Promise<number> {
  const stream = context.clients.health.watch({ service }, context.stream());
  const ending = await followStream(stream, (response) => printJsonLine(statusJson(response.status)), { interrupted: context.interrupted });
  if (ending === 'ended') note('note: the server ended the stream');
  return exitCodeOf(ending);
}

export const healthCommand: Command = {
  name: 'health',
  usage: ['health [--service NAME] [--watch]'],
  summary: 'Check the server health (grpc.health.v1), or follow it with --watch.',
  details: [
    '  --service NAME   a service to check, e.g. orderflow.orders.v1.OrderService (default: the whole server)',
    '  --watch          print every status change as one JSON line until Ctrl-C (exit 130)',
    '',
    'Prints {"status": "SERVING"} (or NOT_SERVING, ...). Without --watch the exit code is 0 only',
    'when the status is SERVING, so the command can serve as a probe.',
  ].join('\n'),
  example: 'health --service orderflow.orders.v1.OrderService',
  options: { service: { type: 'string' }, watch: { type: 'boolean' } },
  run({ values, positionals }, context) {
    expectPositionals(positionals, 0, 0, 'arguments');
    const service = stringValue(values, 'service') ?? '';
    return flagValue(values, 'watch') ? watch(service, context) : check(service, context);
  },
};
