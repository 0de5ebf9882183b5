// Opaque page tokens: base64url JSON holding the last key of the page and the filters it was
// made for, so that a token reused with other filters is rejected instead of silently skipping.
import { invalidField } from '../../domain/errors.js';

type PageToken = { v: 1; last: string; filter: string };

export function encodePageToken(last: string, filter: string): string {
  if (last === '') return '';
  const token: PageToken = { v: 1, last, filter };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

/**
 * The last key of the previous page ('' for the first page); INVALID if foreign, stale, or
 * holding a key that `isKey` rejects (a forged token must not reach the store).
 */
export function decodePageToken(token: string, filter: string, isKey: (key: string) => boolean, field = 'page_token'): string {
  if (token === '') return '';
  let parsed: Partial<PageToken> | undefined;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageToken>;
  } catch {
    parsed = undefined;
  }
  if (parsed?.v !== 1 || typeof parsed.last !== 'string' || typeof parsed.filter !== 'string' || !isKey(parsed.last)) {
    throw invalidField(field, 'is not a page token issued by this API; pass next_page_token unchanged');
  }
  if (parsed.filter !== filter) {
    throw invalidField(field, 'was issued for different filters; repeat the same filters or start from the first page');
  }
  return parsed.last;
}
