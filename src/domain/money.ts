/** Money in integer minor units of one ISO 4217 currency; bigint keeps every int64 exact. */
export type Money = Readonly<{ currencyCode: string; amountMinor: bigint }>;

/** The largest amount the API can carry (int64). */
export const MAX_AMOUNT_MINOR = 2n ** 63n - 1n;

const CURRENCY_CODE = /^[A-Z]{3}$/;

export function isCurrencyCode(value: string): boolean {
  return CURRENCY_CODE.test(value);
}

export function money(currencyCode: string, amountMinor: bigint): Money {
  return { currencyCode, amountMinor };
}
