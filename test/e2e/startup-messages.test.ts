// What the real server process says at startup when something needs the operator's attention: a
// port another process holds (one line, no stack, exit 1 and "stopped" logging that same 1), and
// warnings for settings that are dangerous or were ignored.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnServer } from '../support/server-process.js';
import { testConfigDocument } from '../support/test-app.js';

let held: Server;
let heldPort: number;

beforeAll(async () => {
  held = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => held.once('listening', resolve));
  heldPort = (held.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((resolve) => held.close(() => resolve())));

describe('a port another process holds', () => {
  for (const key of ['grpc', 'admin'] as const) {
    test(`${key}.port: one clear line, exit code 1, and the logged exit code is the real one`, async () => {
      const spawned = spawnServer(testConfigDocument({ kind: 'memory' }, { [key]: { port: heldPort } }));
      const exit = await spawned.exited;
      spawned.cleanup();
      const lines = spawned.output.lines;
      expect(exit.code).toBe(1);
      expect(spawned.output.stderr()).toBe(''); // no grpc-js line, no stack
      const fatal = lines.filter((l) => l.level === 'fatal' || l.level === 'error');
      expect(fatal).toEqual([expect.objectContaining({ level: 'fatal', msg: `${key}.port ${heldPort} on 127.0.0.1 is already in use` })]);
      expect(fatal[0]).not.toHaveProperty('err');
      expect(lines.find((l) => l.msg === 'stopped')).toMatchObject({ exit_code: 1 });
      expect(JSON.stringify(lines)).not.toMatch(/\bat .*\.(js|ts):\d+/); // no stack frame anywhere
    });
  }
});

test('startup warns when authentication is off and when an override made the file ignore a key', async () => {
  const spawned = spawnServer(testConfigDocument({ kind: 'embedded', dataDir: '/nonexistent/unused-by-memory' }), {
    ORDERFLOW_STORE__KIND: 'memory',
  });
  try {
    await spawned.output.waitFor((l) => l.msg === 'serving');
    const warnings = spawned.output.lines.filter((l) => l.level === 'warn').map((l) => l.msg as string);
    expect(warnings).toContain(
      'authentication is off (auth.enabled: false): every call is allowed, with admin rights; never do this outside development',
    );
    expect(warnings).toContain(
      'ORDERFLOW_STORE__KIND sets store.kind to "memory"; ignoring store.dataDir from the file, which applies only to store.kind "embedded"',
    );
  } finally {
    spawned.child.kill('SIGTERM');
    await spawned.exited;
    spawned.cleanup();
  }
});

test('with authentication on there is no such warning', async () => {
  const config = testConfigDocument(
    { kind: 'memory' },
    { auth: { enabled: true, apiKeys: [{ subject: 's', sha256: { fromEnv: 'KEY_SHA' }, scopes: ['catalog:read'] }] } },
  );
  const spawned = spawnServer(config, { KEY_SHA: '0'.repeat(64) });
  try {
    await spawned.output.waitFor((l) => l.msg === 'serving');
    expect(spawned.output.lines.filter((l) => l.level === 'warn' && /authentication/.test(l.msg as string))).toEqual([]);
  } finally {
    spawned.child.kill('SIGTERM');
    await spawned.exited;
    spawned.cleanup();
  }
});
