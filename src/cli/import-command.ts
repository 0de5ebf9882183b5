// `orderflow orders import`: streams NDJSON CreateOrderRequests to ImportOrders (client stream).
import { CreateOrderRequest, type ImportOrdersRequest, ImportOrdersResponse } from '../gen/orderflow/orders/v1/order_service.js';
import { expectPositionals, InputError } from './args.js';
import type { Command } from './command.js';
import { parseJsonObject } from './create-order-request.js';
import { type Line, openLines } from './read-lines.js';
import { printJson } from './output.js';

/**
 * The requests, one per non-blank line. A malformed line ends the stream normally instead of
 * failing it, so the server still answers for the lines already sent; `stop.error` says why.
 */
async function* importRequests(lines: AsyncIterable<Line>, stop: { error?: InputError }): AsyncGenerator<ImportOrdersRequest> {
  for await (const { number, text } of lines) {
    if (text.trim() === '') continue;
    const object = parseJsonObject(text);
    if (object === undefined) {
      stop.error = new InputError(`line ${number}: not valid JSON (expected one CreateOrderRequest object per line); it and the lines after it were not sent`);
      return;
    }
    yield { order: CreateOrderRequest.fromJSON(object) };
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
    'counts of created, duplicate and failed orders, and per-item errors whose index is the',
    'zero-based position among the non-blank lines. Items the server rejects do not stop the import.',
    'A line that is not a JSON object stops reading: the lines before it are still imported and the',
    'response is printed, then "line N: not valid JSON" is reported on stderr and the exit code is 2.',
    'Fix the file and run it again: with idempotency keys, the orders already created are not duplicated.',
  ].join('\n'),
  example: 'orders import orders.ndjson',
  options: {},
  async run({ positionals }, context) {
    expectPositionals(positionals, 1, 1, 'FILE (or - for stdin)');
    const lines = await openLines(positionals[0] ?? '-', 'the import file', context.interrupted);
    const stop: { error?: InputError } = {};
    const response = await context.clients.orders.importOrders(importRequests(lines, stop), context.stream());
    printJson(ImportOrdersResponse.toJSON(response));
    if (stop.error !== undefined) throw stop.error;
    return 0;
  },
};
