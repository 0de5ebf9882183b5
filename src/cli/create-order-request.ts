// The CreateOrderRequest of `orders create`, from flags or from proto3 JSON (--json). Also the
// JSON-object parsing that `orders import` applies to each line.
import { text } from 'node:stream/consumers';
import { CreateOrderRequest } from '../gen/orderflow/orders/v1/order_service.js';
import { InputError, requiredString, stringList, stringValue, UsageError } from './args.js';
import type { OptionValues } from './command.js';
import { readInputFile } from './input-file.js';

/** Parses `text` as a JSON object; undefined if it is not valid JSON or not an object. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `--item espresso:2`; a bare product id means quantity 1. Ids cannot contain ':'. */
function parseItem(spec: string): { productId: string; quantity: number } {
  const colon = spec.lastIndexOf(':');
  if (colon === -1) return { productId: spec, quantity: 1 };
  const quantity = spec.slice(colon + 1);
  // The range (1 to 10000) is the server's to check, so that its message is the one shown.
  if (!/^-?\d{1,10}$/.test(quantity)) throw new UsageError(`--item ${spec}: the quantity after ':' must be a whole number`);
  return { productId: spec.slice(0, colon), quantity: Number(quantity) };
}

async function readJsonArgument(argument: string): Promise<string> {
  if (argument === '-') return text(process.stdin);
  if (argument.startsWith('@')) return readInputFile(argument.slice(1), 'the --json file').toString('utf8');
  return argument;
}

const FLAG_FIELDS = ['customer', 'item', 'key'] as const;

export async function createOrderRequest(values: OptionValues): Promise<CreateOrderRequest> {
  const json = stringValue(values, 'json');
  if (json === undefined) {
    const customerId = requiredString(values, 'customer');
    const items = stringList(values, 'item').map(parseItem);
    if (items.length === 0) throw new UsageError('missing --item');
    return { customerId, items, idempotencyKey: stringValue(values, 'key') ?? '' };
  }
  const mixed = FLAG_FIELDS.find((name) => values[name] !== undefined);
  if (mixed !== undefined) throw new UsageError(`--json cannot be combined with --${mixed}`);
  const object = parseJsonObject(await readJsonArgument(json));
  if (object === undefined) throw new InputError('--json: not a valid JSON object');
  return CreateOrderRequest.fromJSON(object);
}
