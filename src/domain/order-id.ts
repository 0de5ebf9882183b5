import { invalidField } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isOrderId(value: string): boolean {
  return UUID.test(value);
}

/** Order ids are UUIDs; any well-formed one is accepted (and lower-cased), others are INVALID. */
export function parseOrderId(value: string, field = 'id'): string {
  if (UUID.test(value)) return value.toLowerCase();
  throw invalidField(field, 'must be a UUID such as "0190a6e2-5c3b-7d4e-8f00-1a2b3c4d5e6f"');
}
