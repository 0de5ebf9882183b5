// `orderflow products ...`: the catalog service.
import {
  BatchGetProductsResponse,
  GetProductResponse,
  ListProductsResponse,
  UpsertProductResponse,
} from '../gen/orderflow/catalog/v1/catalog_service.js';
import { expectPositionals, flagValue, intValue, requiredString, stringValue, UsageError } from './args.js';
import { collectPages } from './collect-pages.js';
import type { Command, OptionValues } from './command.js';
import { printJson } from './output.js';

/**
 * The amount in minor units, from --amount-minor or from a decimal --price. --price assumes two
 * minor digits (EUR, USD, ...); currencies with another minor unit (JPY, KWD) need --amount-minor.
 */
function amountMinor(values: OptionValues): bigint {
  const minor = stringValue(values, 'amount-minor');
  const price = stringValue(values, 'price');
  if ((minor === undefined) === (price === undefined)) throw new UsageError('give exactly one of --price and --amount-minor');
  if (minor !== undefined) {
    if (!/^\d{1,18}$/.test(minor)) throw new UsageError(`--amount-minor must be a whole number of minor units, got '${minor}'`);
    return BigInt(minor);
  }
  const match = /^(\d{1,16})(?:\.(\d{1,2}))?$/.exec(price ?? '');
  if (match === null) throw new UsageError(`--price must be a decimal with at most 2 digits after the point, got '${price ?? ''}'`);
  return BigInt(match[1] ?? '0') * 100n + BigInt((match[2] ?? '').padEnd(2, '0'));
}

const upsert: Command = {
  name: 'products upsert',
  usage: ['products upsert --id ID --name NAME (--price 12.50 | --amount-minor 1250) --currency EUR'],
  summary: 'Create a product, or replace the name and price of an existing one.',
  details: [
    '  --id ID              1 to 64 characters from [A-Za-z0-9._-]',
    '  --name NAME          display name',
    '  --amount-minor N     price in minor units (cents): 1250 is 12.50 EUR',
    '  --price DECIMAL      price as a decimal with at most 2 digits after the point, converted to',
    '                       minor units assuming 2 minor digits; for JPY and other currencies',
    '                       without 2 minor digits use --amount-minor',
    '  --currency CODE      ISO 4217 currency code, e.g. EUR',
  ].join('\n'),
  example: 'products upsert --id espresso --name "Espresso beans" --price 12.50 --currency EUR',
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    price: { type: 'string' },
    'amount-minor': { type: 'string' },
    currency: { type: 'string' },
  },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 0, 0, 'arguments');
    const product = {
      id: requiredString(values, 'id'),
      name: requiredString(values, 'name'),
      price: { currencyCode: requiredString(values, 'currency'), amountMinor: amountMinor(values) },
    };
    printJson(UpsertProductResponse.toJSON(await context.clients.catalog.upsertProduct({ product }, context.unary())));
    return 0;
  },
};

const get: Command = {
  name: 'products get',
  usage: ['products get ID'],
  summary: 'Show one product.',
  details: 'Fails with NOT_FOUND if there is no product with that id.',
  example: 'products get espresso',
  options: {},
  async run({ positionals }, context) {
    expectPositionals(positionals, 1, 1, 'product ID');
    const response = await context.clients.catalog.getProduct({ id: positionals[0] ?? '' }, context.unary());
    printJson(GetProductResponse.toJSON(response));
    return 0;
  },
};

const batchGet: Command = {
  name: 'products batch-get',
  usage: ['products batch-get ID [ID...]'],
  summary: 'Show several products; ids that match no product are listed in missingIds.',
  details: 'Up to 1000 ids. Missing ids are not an error: the exit code is 0.',
  example: 'products batch-get espresso cup tea',
  options: {},
  async run({ positionals }, context) {
    expectPositionals(positionals, 1, Infinity, 'product ID');
    const response = await context.clients.catalog.batchGetProducts({ ids: [...positionals] }, context.unary());
    printJson(BatchGetProductsResponse.toJSON(response));
    return 0;
  },
};

const list: Command = {
  name: 'products list',
  usage: ['products list [--page-size N] [--page-token TOKEN] [--all]'],
  summary: 'List products ordered by id, one page at a time.',
  details: [
    '  --page-size N        products per page (server default 50, at most 500)',
    '  --page-token TOKEN   nextPageToken from a previous page',
    '  --all                follow nextPageToken and print every product in one response',
  ].join('\n'),
  example: 'products list --all',
  options: { 'page-size': { type: 'string' }, 'page-token': { type: 'string' }, all: { type: 'boolean' } },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 0, 0, 'arguments');
    const pageSize = intValue(values, 'page-size') ?? 0;
    const fetchPage = (pageToken: string) => context.clients.catalog.listProducts({ pageSize, pageToken }, context.unary());
    const firstToken = stringValue(values, 'page-token') ?? '';
    if (!flagValue(values, 'all')) {
      printJson(ListProductsResponse.toJSON(await fetchPage(firstToken)));
      return 0;
    }
    const products = await collectPages(firstToken, async (token) => {
      const page = await fetchPage(token);
      return { items: page.products, nextPageToken: page.nextPageToken };
    });
    printJson(ListProductsResponse.toJSON({ products, nextPageToken: '' }));
    return 0;
  },
};

export const productCommands: readonly Command[] = [upsert, get, batchGet, list];
