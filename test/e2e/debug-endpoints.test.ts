// The admin listener's /debug/ endpoints over real HTTP: off by default, log level, CPU profile,
// heap snapshot, one profile at a time.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';

let on: TestApp;
let off: TestApp;

beforeAll(async () => {
  [on, off] = await Promise.all([startTestApp({ config: { debug: { enabled: true, maxProfileSeconds: 5 } } }), startTestApp()]);
});

afterAll(async () => {
  await Promise.all([on.stop(), off.stop()]);
});

function putLevel(app: TestApp, body: string, query = ''): Promise<Response> {
  return fetch(`${app.adminUrl}/debug/log-level${query}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
}

function logsWith(app: TestApp, msg: string): Record<string, unknown>[] {
  return app.logs.filter((line) => line.msg === msg);
}

/** Resolves once `count` log lines with `msg` have been written (profiles log when they start). */
async function waitForLog(app: TestApp, msg: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000; // only catches a line that never comes
  while (logsWith(app, msg).length < count) {
    if (Date.now() > deadline) throw new Error(`no log line "${msg}" #${count}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('with debug.enabled false (the default)', () => {
  test.each([
    ['GET', '/debug/log-level'],
    ['PUT', '/debug/log-level?level=trace'],
    ['GET', '/debug/cpu-profile?seconds=1'],
    ['GET', '/debug/heap-snapshot'],
    ['GET', '/debug/anything'],
  ])('%s %s answers 404 and changes nothing', async (method, path) => {
    const response = await fetch(`${off.adminUrl}${path}`, { method });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'debug endpoints are disabled; set debug.enabled: true' });
    expect(off.app.log.level).toBe('debug');
  });

  test('the other admin routes still answer', async () => {
    expect((await fetch(`${off.adminUrl}/health/live`)).status).toBe(200);
    expect((await fetch(`${off.adminUrl}/debugger`)).status).toBe(404);
  });
});

describe('/debug/log-level', () => {
  test('GET answers the root logger level', async () => {
    const response = await fetch(`${on.adminUrl}/debug/log-level`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ level: 'debug' });
  });

  test('PUT changes the level at runtime and logs who changed it', async () => {
    const raised = await putLevel(on, JSON.stringify({ level: 'info' }));
    expect(raised.status).toBe(200);
    expect(await raised.json()).toEqual({ level: 'info', previous: 'debug' });
    expect(on.app.log.level).toBe('info');
    on.app.log.debug('probe while at info');
    expect(logsWith(on, 'probe while at info')).toHaveLength(0);

    const lowered = await putLevel(on, '', '?level=debug');
    expect(await lowered.json()).toEqual({ level: 'debug', previous: 'info' });
    on.app.log.debug('probe while at debug');
    expect(logsWith(on, 'probe while at debug')).toHaveLength(1);
    expect(await (await fetch(`${on.adminUrl}/debug/log-level`)).json()).toEqual({ level: 'debug' });

    const changes = logsWith(on, 'log level changed through /debug/log-level');
    expect(changes).toEqual([
      expect.objectContaining({ level: 'info', previous: 'debug', remote_address: expect.any(String) }),
      expect.objectContaining({ level: 'debug', previous: 'info' }),
    ]);
  });

  test('a change to warn is still logged', async () => {
    await putLevel(on, '{"level":"warn"}');
    await putLevel(on, '{"level":"debug"}');
    const changes = logsWith(on, 'log level changed through /debug/log-level').slice(-2);
    expect(changes.map((line) => [line.previous, line.level])).toEqual([
      ['debug', 'warn'],
      ['warn', 'debug'],
    ]);
  });

  test.each([
    ['an unknown level', '{"level":"verbose"}'],
    ['a level of the wrong type', '{"level":30}'],
    ['no level', '{}'],
    ['a body that is not JSON', 'level=debug'],
  ])('%s is 400 and changes nothing', async (_case, body) => {
    const response = await putLevel(on, body);
    expect(response.status).toBe(400);
    expect(on.app.log.level).toBe('debug');
    if (body.startsWith('{')) {
      expect(await response.json()).toEqual({
        error: 'invalid log level',
        valid: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      });
    }
  });

  test('a body above 1 KiB is 413; other methods are 405', async () => {
    const large = await putLevel(on, JSON.stringify({ level: 'trace', padding: 'x'.repeat(2048) }));
    expect(large.status).toBe(413);
    expect(on.app.log.level).toBe('debug');
    const post = await fetch(`${on.adminUrl}/debug/log-level`, { method: 'POST', body: '{"level":"trace"}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, PUT');
  });

  test('unknown debug paths are 404 with the list of endpoints', async () => {
    const response = await fetch(`${on.adminUrl}/debug/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ endpoints: expect.arrayContaining(['/debug/cpu-profile']) });
  });
});

describe('/debug/cpu-profile', () => {
  test('records a profile Chrome DevTools can load', async () => {
    const response = await fetch(`${on.adminUrl}/debug/cpu-profile?seconds=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="orderflow-\d{8}T\d{6}\.\d{3}Z\.cpuprofile"$/);
    const profile = (await response.json()) as { nodes: unknown[]; startTime: number; endTime: number };
    expect(profile.nodes.length).toBeGreaterThan(0);
    expect(profile.endTime - profile.startTime).toBeGreaterThanOrEqual(900_000); // microseconds
    expect(logsWith(on, 'debug profile finished').at(-1)).toMatchObject({
      kind: 'cpu-profile',
      bytes: expect.any(Number),
      duration_ms: expect.any(Number),
    });
  });

  test.each(['0', '6', '1.5', 'ten', ''])('seconds=%s is 400', async (seconds) => {
    const response = await fetch(`${on.adminUrl}/debug/cpu-profile?seconds=${seconds}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'seconds must be an integer from 1 to 5' });
  });

  test('a client that leaves early stops the profile', async () => {
    const started = logsWith(on, 'debug profile started').length;
    const abort = new AbortController();
    const request = fetch(`${on.adminUrl}/debug/cpu-profile?seconds=5`, { signal: abort.signal });
    await waitForLog(on, 'debug profile started', started + 1);
    abort.abort();
    await expect(request).rejects.toThrow();
    await waitForLog(on, 'debug profile finished', started + 1);
    expect(logsWith(on, 'debug profile finished').at(-1)).toMatchObject({ client_gone: true, bytes: 0 });
    expect((await fetch(`${on.adminUrl}/debug/cpu-profile?seconds=1`)).status).toBe(200);
  });
});

describe('/debug/heap-snapshot', () => {
  test('streams a snapshot Chrome DevTools can load', async () => {
    const response = await fetch(`${on.adminUrl}/debug/heap-snapshot`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="orderflow-\d{8}T\d{6}\.\d{3}Z\.heapsnapshot"$/);
    const snapshot = (await response.json()) as { snapshot: { node_count: number } };
    expect(snapshot.snapshot.node_count).toBeGreaterThan(0);
    expect(logsWith(on, 'debug profile finished').at(-1)).toMatchObject({ kind: 'heap-snapshot', bytes: expect.any(Number) });
  });
});

test('one profile or snapshot at a time', async () => {
  const started = logsWith(on, 'debug profile started').length;
  const finished = logsWith(on, 'debug profile finished').length;
  // The longest profile there is, ended by leaving once the others were refused.
  const abort = new AbortController();
  const first = fetch(`${on.adminUrl}/debug/cpu-profile?seconds=5`, { signal: abort.signal });
  await waitForLog(on, 'debug profile started', started + 1);
  for (const path of ['/debug/cpu-profile?seconds=1', '/debug/heap-snapshot']) {
    const second = await fetch(`${on.adminUrl}${path}`);
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({ error: 'a profile or snapshot is already running' });
  }
  abort.abort();
  await first.catch(() => {});
  await waitForLog(on, 'debug profile finished', finished + 1);
});
