// `orderflow orders track`: TrackOrders (bidi stream). Ids come from the arguments, then from
// stdin lines while events are printed, so the tracked set can change without reconnecting.
import { type TrackOrdersRequest, TrackOrdersResponse } from '../gen/orderflow/orders/v1/order_service.js';
import type { Command } from './command.js';
import { exitCodeOf, followStream } from './follow-stream.js';
import { note, printJsonLine } from './output.js';
import { openLines } from './read-lines.js';

// Order ids are UUIDs (order_service.proto). The server ends the whole stream on a malformed
// one, so a typo on stdin is caught here instead of ending an interactive session.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `+ID` or `ID` tracks, `-ID` untracks; a string says why the line is ignored; undefined for a blank line. */
function trackRequest(line: string): TrackOrdersRequest | string | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  const untrack = text.startsWith('-');
  const id = text.replace(/^[+-]/, '').trim();
  if (!UUID.test(id)) return `ignored, expected +ID, -ID or ID where ID is an order id (a UUID), got '${text}'`;
  return { action: untrack ? { $case: 'untrackOrderId', value: id } : { $case: 'trackOrderId', value: id } };
}

/**
 * The requests: the ids of the command line, then one per stdin line. Each is acknowledged on
 * stderr as it is sent, so that someone typing ids sees the line was taken. At the end of stdin
 * the set can no longer change: with nothing tracked there is nothing to follow, so `finish`
 * ends the call; otherwise events keep coming until Ctrl-C, and a note says so.
 */
async function* trackRequests(ids: readonly string[], stop: AbortSignal, finish: AbortController): AsyncGenerator<TrackOrdersRequest> {
  const tracked = new Set<string>();
  const send = (request: TrackOrdersRequest): TrackOrdersRequest => {
    const action = request.action;
    const id = action?.value ?? '';
    if (action?.$case === 'untrackOrderId') tracked.delete(id.toLowerCase());
    else tracked.add(id.toLowerCase());
    note(`${action?.$case === 'untrackOrderId' ? 'untracking' : 'tracking'} ${id}`);
    return request;
  };
  for (const id of ids) yield send({ action: { $case: 'trackOrderId', value: id } });
  for await (const { number, text } of await openLines('-', 'stdin', stop)) {
    const request = trackRequest(text);
    if (typeof request === 'string') note(`line ${number}: ${request}`);
    else if (request !== undefined) yield send(request);
  }
  if (stop.aborted) return;
  if (tracked.size === 0) {
    note('note: end of stdin and no order is tracked: nothing to follow');
    finish.abort();
    return;
  }
  const orders = tracked.size === 1 ? '1 order' : `${tracked.size} orders`;
  note(`note: end of stdin: the tracked set (${orders}) can no longer change; following it until Ctrl-C`);
}

export const trackCommand: Command = {
  name: 'orders track',
  usage: ['orders track [ID...]'],
  summary: 'Follow the events of chosen orders; change the set by typing +ID / -ID lines on stdin.',
  details: [
    '  ID...   orders to track from the start',
    '',
    'While running, each stdin line changes the tracked set: +ID or ID tracks an order, -ID untracks',
    'it; each is acknowledged on stderr ("tracking ID"), and a line that is not an order id is',
    'ignored with a note. Events (from the moment the stream opened) print one TrackOrdersResponse',
    'JSON line each, until Ctrl-C (exit 130). At the end of stdin the current set is kept and events',
    'keep printing (a note says so); if no order is tracked then, there is nothing to follow and the',
    'command ends (exit 0).',
  ].join('\n'),
  example: 'orders track 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00',
  options: {},
  async run({ positionals }, context) {
    const stop = new AbortController();
    const finish = new AbortController();
    const stopReading = AbortSignal.any([context.interrupted, stop.signal]);
    const options = { ...context.stream(), signal: AbortSignal.any([context.interrupted, finish.signal]) };
    try {
      const stream = context.clients.orders.trackOrders(trackRequests(positionals, stopReading, finish), options);
      const print = (response: TrackOrdersResponse) => printJsonLine(TrackOrdersResponse.toJSON(response));
      const ending = await followStream(stream, print, { interrupted: context.interrupted, finished: finish.signal });
      if (ending === 'ended') note('note: the server ended the stream');
      return exitCodeOf(ending);
    } finally {
      // Stops reading stdin, which would otherwise keep the process alive after the stream ends.
      stop.abort();
    }
  },
};
