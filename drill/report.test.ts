// The drills' own verdict logic: what counts as lost or duplicated, when a timing promise fails,
// and that the printed table says so.
import { describe, expect, test } from 'vitest';
import {
  check,
  type DrillResult,
  emptyCounts,
  failures,
  latencySummary,
  percentile,
  reconcile,
  renderTable,
  timingCheck,
} from './report.js';

const result = (over: Partial<DrillResult> = {}): DrillResult => ({
  name: 'x',
  form: 'full',
  counts: emptyCounts(),
  timings: [],
  promises: [],
  notes: [],
  ...over,
});

describe('reconcile', () => {
  test('an acknowledged order is found only when its key holds the acknowledged id', () => {
    const acked = new Map([
      ['k1', 'id1'],
      ['k2', 'id2'],
      ['k3', 'id3'],
    ]);
    const rows = [
      { key: 'k1', id: 'id1' },
      { key: 'k2', id: 'other' },
    ];
    expect(reconcile(acked, rows)).toEqual({ found: 1, lost: 2, duplicated: 0, lostKeys: ['k2', 'k3'] });
  });

  test('rows beyond the first for one key are duplicates, acknowledged or not', () => {
    const rows = [
      { key: 'k1', id: 'a' },
      { key: 'k1', id: 'b' },
      { key: 'k2', id: 'c' },
      { key: 'k2', id: 'd' },
      { key: 'k2', id: 'e' },
    ];
    expect(reconcile(new Map([['k1', 'a']]), rows)).toMatchObject({ found: 1, lost: 0, duplicated: 3 });
  });
});

describe('verdict', () => {
  test('passes with nothing lost, nothing duplicated and every promise kept, skipped or reported', () => {
    const promises = [
      check('a', true, ''),
      { what: 'b', outcome: 'skipped', detail: 'needs x' } as const,
      { what: 'c', outcome: 'reported', detail: '' } as const,
    ];
    expect(failures(result({ promises }))).toEqual([]);
    expect(renderTable(result({ promises }))).toContain('verdict: PASS');
  });

  test('fails on a lost or duplicated order and on a broken promise, and the table says why', () => {
    const counts = { ...emptyCounts(), acknowledged: 3, found: 2, lost: 1, duplicated: 2 };
    const r = result({ counts, promises: [check('readiness within 1 s', false, '1400 ms')] });
    expect(failures(r)).toEqual(['1 acknowledged lost', '2 duplicated', 'broken: readiness within 1 s (1400 ms)']);
    expect(renderTable(r)).toMatch(/verdict: FAIL \(1 acknowledged lost; 2 duplicated; broken/);
    expect(renderTable(r)).toMatch(/\[FAIL\] readiness within 1 s\s+1400 ms/);
  });

  test('counts that do not add up fail (a bookkeeping error must not pass silently)', () => {
    expect(failures(result({ counts: { ...emptyCounts(), acknowledged: 5, found: 3, lost: 0 } }))).toEqual([
      'found + lost does not add up to acknowledged',
    ]);
  });

  test('the table lists failures by status code, sorted', () => {
    const counts = { ...emptyCounts(), attempted: 5, succeeded: 2, failedByCode: { UNAVAILABLE: 2, DEADLINE_EXCEEDED: 1 } };
    expect(renderTable(result({ counts }))).toMatch(/calls failed, by status\s+DEADLINE_EXCEEDED 1, UNAVAILABLE 2/);
  });
});

describe('timingCheck', () => {
  test('full form: strict', () => {
    expect(timingCheck('t', 900, 1000, 'full', 5000).outcome).toBe('kept');
    expect(timingCheck('t', 1100, 1000, 'full', 5000).outcome).toBe('broken');
  });

  test('short form: over the promise is reported, beyond the short bound fails', () => {
    expect(timingCheck('t', 1100, 1000, 'short', 5000).outcome).toBe('reported');
    expect(timingCheck('t', 5100, 1000, 'short', 5000).outcome).toBe('broken');
  });

  test('never observed is broken', () => {
    expect(timingCheck('t', undefined, 1000, 'short', 5000).outcome).toBe('broken');
  });
});

test('percentile is nearest-rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(values, 50)).toBe(50);
  expect(percentile(values, 99)).toBe(99);
  expect(percentile(values, 100)).toBe(100);
  expect(percentile([], 50)).toBeUndefined();
  expect(latencySummary([])).toBe('no calls');
});

test('latencySummary takes a soak-sized set (more values than fit as call arguments)', () => {
  const values = Array.from({ length: 500_000 }, (_, i) => (i % 1000) + 1);
  values[123_456] = 5000; // one 457 becomes the maximum: the ranks above it move up by one
  expect(latencySummary(values)).toBe('p50 501.0 ms, p99 991.0 ms, max 5000.0 ms (n 500000)');
});
