// `orderflow orders import`: streams NDJSON CreateOrderRequests to ImportOrders (client stream).
import { CreateOrderRequest, type ImportOrdersRequest, ImportOrdersResponse } from '../gen/orderflow/orders/v1/order_service.js';
import { expectPositionals, InputError } from './args.js';
import type { Command } from './command.js';
import { parseJsonObject } from './create-order-request.js';
import { note, printJson } from './output.js';
import { type Line, openLines } from './read-lines.js';

/** What the request stream learnt while it was read: why it stopped early, what it sent. */
type ImportProgress = { error?: InputError; sent: number };

/**
 * The requests, one per non-blank line. A malformed line ends the stream normally instead of
 * failing it, so the server still answers for the lines already sent; `progress.error` says why.
 */
async function* importRequests(lines: AsyncIterable<Line>, progress: ImportProgress): AsyncGenerator<ImportOrdersRequest> {
  for await (const { number, text } of lines) {
    if (text.trim() === '') continue;
    const object = parseJsonObject(text);
    if (object === undefined) {
      progress.error = new InputError(
        `line ${number}: not valid JSON (expected one CreateOrderRequest object per line); it and the lines after it were not sent`,
      );
      return;
    }
    const order = CreateOrderRequest.fromJSON(object);
    progress.sent++;
    yield { order };
  }
}

export const importCommand: Command = {
  name: 'orders import',
  usage: ['orders import FILE|-'],
  summary: 'Create orders from NDJSON (one CreateOrderRequest per line), streamed as read.',
  details: [
    '  FILE   a file with one proto3 JSON CreateOrderRequest per line, or - for stdin, e.g.',
    '         {"customerId":"c1","items":[{"productId":"cup","quantity":2}],"idempotencyKey":"k1"}',
    '',
    'Lines are sent as they are read; blank lines are skipped. Prints the ImportOrdersResponse:',
    'counts of created, duplicate and failed orders, per-item errors, and the id of every order',
    'created or matched (duplicate: true), each with its index: the zero-based position among the',
    'non-blank lines. Items the server rejects do not stop the import.',
    'A line that is not a JSON object stops reading: the lines before it are still imported and the',
    'response is printed, then "line N: not valid JSON" is reported on stderr and the exit code is 2.',
    'A FILE that cannot be read also exits 2, before anything is sent. Fix the file and run it again:',
    'with idempotency keys, the orders already created are not duplicated. Ctrl-C cancels the call',
    '(exit 130); the lines sent before it may have been imported, so run it again the same way.',
  ].join('\n'),
  example: 'orders import .orderflow/orders.ndjson',
  options: {},
  async run({ positionals }, context) {
    expectPositionals(positionals, 1, 1, 'FILE (or - for stdin)');
    const lines = await openLines(positionals[0] ?? '-', 'the import file', context.interrupted);
    const progress: ImportProgress = { sent: 0 };
    let response: ImportOrdersResponse;
    try {
      response = await context.clients.orders.importOrders(importRequests(lines, progress), context.stream());
    } catch (error) {
      // Cancelling the call does not undo what the server already did with the lines it read.
      if (context.interrupted.aborted && progress.sent > 0) {
        note(
          `note: ${progress.sent} line(s) were sent before Ctrl-C and may have been imported; run the import again to finish (orders with an idempotency key are not created twice)`,
        );
      }
      throw error;
    }
    printJson(ImportOrdersResponse.toJSON(response));
    if (progress.error !== undefined) throw progress.error;
    return 0;
  },
};
