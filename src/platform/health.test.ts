import { expect, test } from 'vitest';
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
