// `orderflow orders watch`: follows the order event log (server stream) as NDJSON.
import { WatchOrdersResponse } from '../gen/orderflow/orders/v1/order_service.js';
import { expectPositionals, int64Value, stringValue } from './args.js';
import type { Command } from './command.js';
import { exitCodeOf, followStream, type StreamEnding } from './follow-stream.js';
import { note, printJsonLine } from './output.js';

/** What to tell on stderr when the stream stops: where to resume, and whether anything came. */
function endingNote(ending: StreamEnding, after: bigint, lastSeen: bigint | undefined): string {
  const how = ending === 'ended' ? 'the server ended the stream' : 'stopped';
  if (lastSeen === undefined) {
    const since = after === 0n ? '' : ` after sequence ${after}`;
    return `note: ${how}; no event was seen${since}; resume with --after ${after}`;
  }
  return `note: ${how}; last sequence seen: ${lastSeen}; resume with --after ${lastSeen}`;
}

export const watchCommand: Command = {
  name: 'orders watch',
  usage: ['orders watch [--customer ID] [--after SEQUENCE]'],
  summary: 'Follow order events as they happen, one JSON line per event, until Ctrl-C.',
  details: [
    "  --customer ID        only this customer's events",
    '  --after SEQUENCE     start after this event sequence (default 0: replay all history first)',
    '',
    'Each line is a WatchOrdersResponse, e.g. {"event":{"sequence":"7","type":"ORDER_EVENT_TYPE_CREATED",...}}.',
    'Notes on stderr say where it starts and, when it stops, the last sequence seen (or that no',
    'event was seen): run again with --after that sequence to resume without gaps. Ctrl-C stops it',
    '(exit 130); the server ending the stream (it is shutting down) exits 0.',
  ].join('\n'),
  example: 'orders watch --customer c1 --after 0',
  options: { customer: { type: 'string' }, after: { type: 'string' } },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 0, 0, 'arguments');
    const request = { customerId: stringValue(values, 'customer') ?? '', afterSequence: int64Value(values, 'after') ?? 0n };
    let lastSeen: bigint | undefined;
    const stream = context.clients.orders.watchOrders(request, context.stream());
    // Said at once: with no history to replay (or --after past the last event) nothing else shows.
    const from = request.afterSequence === 0n ? 'from the start' : `after sequence ${request.afterSequence}`;
    note(`note: following events ${from} (history first, then live); Ctrl-C to stop`);
    const print = (response: WatchOrdersResponse) => {
      lastSeen = response.event?.sequence ?? lastSeen;
      printJsonLine(WatchOrdersResponse.toJSON(response));
    };
    const ending = await followStream(stream, print, { interrupted: context.interrupted });
    note(endingNote(ending, request.afterSequence, lastSeen));
    return exitCodeOf(ending);
  },
};
