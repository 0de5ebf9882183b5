// `orderflow orders watch`: follows the order event log (server stream) as NDJSON.
import { WatchOrdersResponse } from '../gen/orderflow/orders/v1/order_service.js';
import { expectPositionals, int64Value, stringValue } from './args.js';
import type { Command } from './command.js';
import { followStream } from './follow-stream.js';
import { note, printJsonLine } from './output.js';

export const watchCommand: Command = {
  name: 'orders watch',
  usage: ['orders watch [--customer ID] [--after SEQUENCE]'],
  summary: 'Follow order events as they happen, one JSON line per event, until Ctrl-C.',
  details: [
    '  --customer ID        only this customer\'s events',
    '  --after SEQUENCE     start after this event sequence (default 0: replay all history first)',
    '',
    'Each line is a WatchOrdersResponse, e.g. {"event":{"sequence":"7","type":"ORDER_EVENT_TYPE_CREATED",...}}.',
    'Ctrl-C stops cleanly (exit 0). When the server ends the stream (it is shutting down), the last',
    'sequence seen is printed on stderr: run again with --after that sequence to resume without gaps.',
  ].join('\n'),
  example: 'orders watch --customer c1 --after 0',
  options: { customer: { type: 'string' }, after: { type: 'string' } },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 0, 0, 'arguments');
    const request = { customerId: stringValue(values, 'customer') ?? '', afterSequence: int64Value(values, 'after') ?? 0n };
    let lastSequence = request.afterSequence;
    const stream = context.clients.orders.watchOrders(request, context.stream());
    const ending = await followStream(
      stream,
      (response) => {
        lastSequence = response.event?.sequence ?? lastSequence;
        printJsonLine(WatchOrdersResponse.toJSON(response));
      },
      context.interrupted,
    );
    const resume = `last sequence seen: ${lastSequence}; resume with --after ${lastSequence}`;
    note(ending === 'ended' ? `note: the server ended the stream; ${resume}` : `note: stopped; ${resume}`);
    return 0;
  },
};
