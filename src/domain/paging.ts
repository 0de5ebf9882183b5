import { invalidField } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** 0 means the default; sizes above the maximum are clamped (AIP-158); negative is INVALID. */
export function pageSize(requested: number, field = 'page_size'): number {
  if (!Number.isInteger(requested) || requested < 0) throw invalidField(field, 'must not be negative');
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}
