// The JSON log goes to an asynchronous destination (a slow reader of stdout costs buffering,
// not a blocked event loop). Nothing buffered may be lost when the process ends: not on a
// fatal error, not on a plain exit, not on SIGTERM.
import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { connect } from '../support/clients.js';
import { startServerProcess } from '../support/server-process.js';
import { testConfigDocument } from '../support/test-app.js';

type Ending = 'throw' | 'exit' | 'drain' | 'linger';

function spawnFlood(lines: number, ending: Ending) {
  return spawn(process.execPath, ['--import', 'tsx', 'test/support/log-flood.ts'], {
    env: { PATH: process.env.PATH ?? '', LINES: String(lines), ENDING: ending },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function flood(lines: number, ending: Ending): Promise<{ code: number | null; out: string[] }> {
  const child = spawnFlood(lines, ending);
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out: text.split('\n').filter((l) => l !== '') })));
}

describe('no log line is lost at exit', () => {
  test('an uncaught exception after a burst: every line, then the fatal one, and exit 1', async () => {
    const { code, out } = await flood(20_000, 'throw');
    expect(code).toBe(1);
    const parsed = out.map((l) => JSON.parse(l) as { msg: string; i?: number; level: string });
    expect(parsed.filter((l) => l.msg === 'flood')).toHaveLength(20_000);
    expect(parsed.at(-1)).toMatchObject({ level: 'fatal', msg: 'unhandled error; exiting' });
  });

  test('a plain exit right after a burst keeps every line', async () => {
    const { code, out } = await flood(20_000, 'exit');
    expect(code).toBe(0);
    expect(out).toHaveLength(20_000);
  });

  test('a process that ends by running out of work keeps every line', async () => {
    const { code, out } = await flood(3, 'drain');
    expect(code).toBe(0);
    expect(out).toHaveLength(3);
  });

  test('a line of a process that goes on running reaches stdout without waiting for more lines', async () => {
    const child = spawnFlood(1, 'linger');
    const line = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    child.kill('SIGKILL');
    expect(JSON.parse(line)).toMatchObject({ msg: 'flood', i: 0 });
  });

  test('SIGTERM right after a burst of calls: every call has its access line, then "stopped"', async () => {
    const server = await startServerProcess(testConfigDocument({ kind: 'memory' }, { log: { level: 'info', format: 'json' } }));
    const api = connect(server.grpcAddress);
    const calls = 2000;
    await Promise.all(Array.from({ length: calls }, () => api.catalog.getProduct({ id: 'cup' })));
    const closed = new Promise((resolve) => server.child.once('close', resolve)); // stdout read to its end
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    api.close();
    await closed;
    const accessLines = server.output.lines.filter((l) => l.msg === 'finished call' && l.method === 'GetProduct');
    expect(accessLines).toHaveLength(calls);
    expect(server.output.lines.at(-1)).toMatchObject({ msg: 'stopped', exit_code: 0 });
    server.cleanup();
  });
});
