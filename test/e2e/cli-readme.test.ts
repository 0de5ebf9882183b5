// The README's CLI walkthrough as a new user types it: through npm, whose echo of the command line
// masks anything shaped like a UUID (npm 11, @npmcli/redact), so the walkthrough must use a form
// npm does not echo; and nothing it writes may land in the work tree outside git-ignored paths.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { REPO_ROOT } from '../support/cli-process.js';
import { connect, type Clients } from '../support/clients.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;
let api: Clients;

beforeAll(async () => {
  app = await startTestApp();
  api = connect(app.grpcAddress);
});

afterAll(async () => {
  api.close();
  await app.stop();
});

/** The shell commands of the README's "Walkthrough with the CLI" section, comments removed. */
async function walkthroughLines(): Promise<string[]> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /^## Walkthrough with the CLI\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '');
}

type NpmResult = { code: number | null; stdout: string; stderr: string };

/** Runs npm as a user's shell would: without the npm_* variables of any npm that started vitest. */
function npm(args: readonly string[]): Promise<NpmResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  const child = spawn('npm', args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, ...output })));
}

describe.concurrent('the README walkthrough of the CLI', { timeout: 120_000 }, () => {
  test('every CLI command in it goes through npm run --silent, and its files stay under .orderflow/', async ({ expect }) => {
    const lines = await walkthroughLines();
    const cliCalls = lines.flatMap((line) => line.match(/npm run[^&#]*?\bcli\b/g) ?? []);
    expect(cliCalls.length).toBeGreaterThan(10);
    for (const call of cliCalls) expect(call).toBe('npm run --silent cli');
    const written = lines.flatMap((line) => [...line.matchAll(/(?:^|\s)>>?\s*(\S+)/g)].map((match) => match[1] ?? ''));
    expect(written).not.toHaveLength(0);
    for (const path of written) expect(path).toMatch(/^\.orderflow\//);
  });

  test('npm run --silent shows the order id; plain npm run echoes the command with the id masked', async ({ expect }) => {
    const created = await api.orders.createOrder({ customerId: 'cli-readme', items: [{ productId: 'cup', quantity: 1 }] });
    const id = created.order?.id ?? '';
    const args = ['--addr', app.grpcAddress, 'orders', 'get', id];
    const [silent, plain] = await Promise.all([npm(['run', '--silent', 'cli', '--', ...args]), npm(['run', 'cli', '--', ...args])]);
    expect(silent.code).toBe(0);
    // Nothing but the response: no echo line, no mask.
    expect(JSON.parse(silent.stdout)).toMatchObject({ order: { id, customerId: 'cli-readme' } });
    expect(silent.stdout + silent.stderr).not.toContain('***');
    // Why the README says --silent: npm's own echo line hides the UUID (the CLI's output does not).
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('orders get ***\n');
    expect(plain.stdout).toContain(`"id": "${id}"`);
  });
});
