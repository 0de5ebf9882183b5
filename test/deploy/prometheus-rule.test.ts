// The PrometheusRule in deploy/k8s is generated from deploy/prometheus/rules/orderflow-alerts.yml,
// the one source of the alert rules: it must be up to date, and the check must catch a change.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ROOT } from './render-overlay.js';

const GENERATOR = 'deploy/k8s/generate-prometheus-rule.js';
const RULES = 'deploy/prometheus/rules/orderflow-alerts.yml';
const OUTPUT = 'deploy/k8s/base/monitoring/prometheus-rule.yaml';
const check = (root: string) => spawnSync(process.execPath, [join(root, GENERATOR), '--check'], { encoding: 'utf8' });

const scratch = mkdtempSync(join(tmpdir(), 'orderflow-rule-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test('the generated PrometheusRule is up to date with the rules file', () => {
  const result = check(ROOT);
  expect(result.status, result.stderr).toBe(0);
});

test('a rule changed without regenerating is caught, and regenerating fixes it', () => {
  for (const file of [GENERATOR, RULES, OUTPUT]) {
    mkdirSync(join(scratch, file, '..'), { recursive: true });
    cpSync(join(ROOT, file), join(scratch, file));
  }
  writeFileSync(join(scratch, RULES), readFileSync(join(scratch, RULES), 'utf8').replace('> 0.05', '> 0.01'));
  const stale = check(scratch);
  expect(stale.status).toBe(1);
  expect(stale.stderr).toContain(`node ${GENERATOR}`);
  expect(spawnSync(process.execPath, [join(scratch, GENERATOR)]).status).toBe(0);
  expect(check(scratch).status).toBe(0);
  expect(readFileSync(join(scratch, OUTPUT), 'utf8')).toContain('> 0.01');
});
