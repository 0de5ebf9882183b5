// Writes base/monitoring/prometheus-rule.yaml, the Prometheus Operator's PrometheusRule, from
// deploy/prometheus/rules/orderflow-alerts.yml: the rules file is the one source of the alerts
// (promtool lints and unit-tests it; the docker-compose Prometheus loads it as it is), and this
// wraps it, text unchanged, under `spec:`.
//   node deploy/k8s/generate-prometheus-rule.js           # regenerate after changing the rules
//   node deploy/k8s/generate-prometheus-rule.js --check   # exit 1 if the file is out of date
// test/deploy/prometheus-rule.test.ts runs the check.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RULES = 'deploy/prometheus/rules/orderflow-alerts.yml';
const OUTPUT = 'deploy/k8s/base/monitoring/prometheus-rule.yaml';
const root = join(import.meta.dirname, '../..');

function prometheusRule(rulesText) {
  const indented = rulesText
    .replace(/\n+$/, '')
    .split('\n')
    .map((line) => (line === '' ? '' : `  ${line}`))
    .join('\n');
  return [
    `# GENERATED from ${RULES} by deploy/k8s/generate-prometheus-rule.js: do not edit.`,
    '# Change the rules file (and its promtool tests), then run: node deploy/k8s/generate-prometheus-rule.js',
    'apiVersion: monitoring.coreos.com/v1',
    'kind: PrometheusRule',
    'metadata:',
    '  name: orderflow-alerts',
    'spec:',
    indented,
    '',
  ].join('\n');
}

const expected = prometheusRule(readFileSync(join(root, RULES), 'utf8'));
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(join(root, OUTPUT), 'utf8');
  } catch {
    // Missing counts as out of date.
  }
  if (current !== expected) {
    process.stderr.write(`${OUTPUT} is out of date with ${RULES}: run node deploy/k8s/generate-prometheus-rule.js\n`);
    process.exit(1);
  }
  process.stdout.write(`${OUTPUT} is up to date with ${RULES}\n`);
} else {
  writeFileSync(join(root, OUTPUT), expected);
  process.stdout.write(`wrote ${OUTPUT}\n`);
}
