import { describe, expect, test } from 'vitest';
import { encodeOnce, responsesFor, reusedResponse } from './reused-responses.js';

const counting = () => {
  let calls = 0;
  const encode = (value: unknown) => {
    calls++;
    return Buffer.from(JSON.stringify(value));
  };
  return { encode, calls: () => calls };
};

describe('reused responses', () => {
  test('a reused response is encoded once; any other is encoded on every send', () => {
    const { encode, calls } = counting();
    const shared = reusedResponse({ order: { id: 'a', items: [{ quantity: 1 }] } });
    const first = encodeOnce(shared, encode);
    expect(encodeOnce(shared, encode)).toBe(first);
    expect(calls()).toBe(1);
    const fresh = { order: { id: 'a' } };
    encodeOnce(fresh, encode);
    encodeOnce(fresh, encode);
    expect(calls()).toBe(3);
  });

  test('a reused response is frozen all the way down, so its bytes cannot go stale', () => {
    const shared = reusedResponse({ order: { id: 'a', items: [{ quantity: 1 }] } });
    expect(() => {
      (shared.order.items[0] as { quantity: number }).quantity = 2;
    }).toThrow(TypeError);
  });

  test('responsesFor makes one response per source object, and a new one for a new object', () => {
    let made = 0;
    const responseFor = responsesFor((source: { id: string }) => {
      made++;
      return { id: source.id };
    });
    const source = { id: 'x' };
    expect(responseFor(source)).toBe(responseFor(source));
    expect(responseFor({ id: 'x' })).not.toBe(responseFor(source));
    expect(made).toBe(2);
  });
});
