import { expect, test, vi } from 'vitest';
import { createHealth } from './health.js';

const failing = () => Promise.reject(new Error('down'));
const passing = () => Promise.resolve();

test('an informational check that fails is reported but leaves the process ready, and is not logged as a readiness failure', async () => {
  const logged: string[] = [];
  const health = createHealth({ checkTimeoutMs: 5000, checkIntervalMs: 60_000, onCheckFailed: (name) => logged.push(name) });
  health.addCheck('store', passing);
  health.addCheck('cache', failing, 'informational');
  const report = await health.start();
  health.stop();
  expect(report).toMatchObject({ ready: true, checks: { store: { ok: true }, cache: { ok: false, error: 'down', informational: true } } });
  expect(report.checks.store).not.toHaveProperty('informational');
  expect(logged).toEqual([]);
});

test('a readiness check that fails makes the process unready and is logged', async () => {
  const logged: string[] = [];
  const health = createHealth({ checkTimeoutMs: 5000, checkIntervalMs: 60_000, onCheckFailed: (name) => logged.push(name) });
  health.addCheck('store', failing);
  health.addCheck('cache', passing, 'informational');
  const report = await health.start();
  health.stop();
  expect(report.ready).toBe(false);
  expect(logged).toEqual(['store']);
});

test('suspect() checks at once instead of at the next interval, and readiness follows', async () => {
  let up = true;
  let runs = 0;
  const health = createHealth({ checkTimeoutMs: 5000, checkIntervalMs: 3_600_000 });
  health.addCheck('store', () => {
    runs++;
    return up ? Promise.resolve() : Promise.reject(new Error('down'));
  });
  await health.start();
  expect(health.isReady()).toBe(true);
  up = false;
  const changed = health.changed(new AbortController().signal);
  health.suspect();
  expect(await changed).toBe(false);
  expect(runs).toBe(2);
  health.stop();
});

test('while unready, checks run every half second so that recovery is seen at once; while ready, every interval', async () => {
  vi.useFakeTimers();
  try {
    let up = false;
    let runs = 0;
    const health = createHealth({ checkTimeoutMs: 5000, checkIntervalMs: 60_000 });
    health.addCheck('store', () => {
      runs++;
      return up ? Promise.resolve() : Promise.reject(new Error('down'));
    });
    await health.start();
    expect(health.isReady()).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(runs).toBe(2);
    up = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(health.isReady()).toBe(true);
    const before = runs;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runs).toBe(before); // ready: the next check is a full interval away
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runs).toBe(before + 1);
    health.stop();
  } finally {
    vi.useRealTimers();
  }
});

test('suspect() while a check runs waits for that one instead of starting another', async () => {
  let release: () => void = () => {};
  let runs = 0;
  const health = createHealth({ checkTimeoutMs: 5000, checkIntervalMs: 3_600_000 });
  health.addCheck('store', () => {
    runs++;
    return new Promise<void>((resolve) => (release = resolve));
  });
  const starting = health.start();
  health.suspect();
  health.suspect();
  release();
  await starting;
  expect(runs).toBe(1);
  health.stop();
});
