// `orderflow orders track`: TrackOrders (bidi stream). Ids come from the arguments, then from
// stdin lines while events are printed, so the tracked set can change without reconnecting.
import { type TrackOrdersRequest, TrackOrdersResponse } from '../gen/orderflow/orders/v1/order_service.js';
import type { Command } from './command.js';
import { exitCodeOf, followStream } from './follow-stream.js';
import { note, printJsonLine } from './output.js';
import { openLines } from './read-lines.js';

/** `+ID` or `ID` tracks, `-ID` untracks; undefined for a line with no id. */
function trackRequest(line: string): TrackOrdersRequest | undefined {
  const text = line.trim();
  const untrack = text.startsWith('-');
  const id = text.replace(/^[+-]/, '').trim();
  if (id === '') return undefined;
  return { action: untrack ? { $case: 'untrackOrderId', value: id } : { $case: 'trackOrderId', value: id } };
}

function describe(request: TrackOrdersRequest): string {
  return request.action?.$case === 'untrackOrderId' ? `untracking ${request.action.value}` : `tracking ${request.action?.value ?? ''}`;
}

async function* trackRequests(ids: readonly string[], stop: AbortSignal): AsyncGenerator<TrackOrdersRequest> {
  for (const id of ids) yield { action: { $case: 'trackOrderId', value: id } };
  for await (const { number, text } of await openLines('-', 'stdin', stop)) {
    const request = trackRequest(text);
    if (request === undefined) {
      if (text.trim() !== '') note(`line ${number}: ignored, expected +ID, -ID or ID`);
      continue;
    }
    // Acknowledged on stderr so that someone typing ids sees the line was taken.
    note(describe(request));
    yield request;
  }
  // End of stdin only stops changes to the set; events keep coming until Ctrl-C.
}

export const trackCommand: Command = {
  name: 'orders track',
  usage: ['orders track [ID...]'],
  summary: 'Follow the events of chosen orders; change the set by typing +ID / -ID lines on stdin.',
  details: [
    '  ID...   orders to track from the start',
    '',
    'While running, each stdin line changes the tracked set: +ID or ID tracks an order, -ID untracks',
    'it. Events (from the moment the stream opened) print one TrackOrdersResponse JSON line each,',
    'until Ctrl-C (exit 130). The end of stdin keeps the current set and keeps printing events.',
  ].join('\n'),
  example: 'orders track 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00',
  options: {},
  async run({ positionals }, context) {
    const stop = new AbortController();
    const stopReading = AbortSignal.any([context.interrupted, stop.signal]);
    try {
      const stream = context.clients.orders.trackOrders(trackRequests(positionals, stopReading), context.stream());
      const ending = await followStream(stream, (response) => printJsonLine(TrackOrdersResponse.toJSON(response)), { interrupted: context.interrupted });
      if (ending === 'ended') note('note: the server ended the stream');
      return exitCodeOf(ending);
    } finally {
      // Stops reading stdin, which would otherwise keep the process alive after the stream ends.
      stop.abort();
    }
  },
};
