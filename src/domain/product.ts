import { isCurrencyCode, MAX_AMOUNT_MINOR, type Money } from './money.js';
import { Violations } from './errors.js';

export type Product = Readonly<{
  id: string;
  name: string;
  price: Money;
  createTime: Date;
  updateTime: Date;
}>;

/** What a caller supplies to create or replace a product. */
export type ProductInput = Readonly<{ id: string; name: string; price: Money | undefined }>;

const PRODUCT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_PRODUCT_NAME_LENGTH = 200;

export function isProductId(value: string): boolean {
  return PRODUCT_ID.test(value);
}

export function describeProductIdRule(): string {
  return 'must be 1 to 64 characters from [A-Za-z0-9._-], starting with a letter or digit';
}

/** Checks a product input; field paths are prefixed with `prefix` (e.g. "product."). */
export function validateProductInput(input: ProductInput, prefix = ''): Money {
  const violations = new Violations();
  if (!isProductId(input.id)) violations.add(`${prefix}id`, describeProductIdRule());
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_PRODUCT_NAME_LENGTH || /\p{Cc}/u.test(name)) {
    violations.add(`${prefix}name`, `must be 1 to ${MAX_PRODUCT_NAME_LENGTH} characters, not blank, without control characters`);
  }
  const price = input.price;
  if (price === undefined) {
    violations.add(`${prefix}price`, 'is required');
  } else {
    if (!isCurrencyCode(price.currencyCode)) {
      violations.add(`${prefix}price.currency_code`, 'must be three upper-case letters (ISO 4217), e.g. "EUR"');
    }
    if (price.amountMinor <= 0n || price.amountMinor > MAX_AMOUNT_MINOR) {
      violations.add(`${prefix}price.amount_minor`, 'must be a positive amount in minor units');
    }
  }
  violations.throwIfAny();
  return price as Money;
}
