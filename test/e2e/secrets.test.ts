// No secret ever appears in what the server prints, answers or exports: a real server process
// runs a round of good and bad credentials at debug log level, and everything it wrote to stdout
// and stderr, every error a client saw, and the /metrics and /health bodies are searched for
// each secret value.
import { Metadata } from 'nice-grpc';
import { expect, test } from 'vitest';
import { connect } from '../support/clients.js';
import { freshEmbeddedDataDir } from '../support/embedded-template.js';
import { startServerProcess } from '../support/server-process.js';
import { testConfigDocument } from '../support/test-app.js';
import { AUDIENCE, hs256Token, ISSUER, randomSecret, sha256 } from '../support/tokens.js';

test('secrets and tokens never appear in logs, errors or metrics', async () => {
  const jwtSecret = randomSecret();
  const apiKey = `key_${randomSecret()}`;
  const { dataDir, cleanup } = await freshEmbeddedDataDir();
  const config = testConfigDocument(
    { kind: 'embedded', dataDir },
    {
      log: { level: 'trace' },
      debug: { enabled: true },
      auth: {
        enabled: true,
        jwt: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], hs256Secret: { fromEnv: 'JWT_SECRET' } },
        apiKeys: [{ subject: 'robot', sha256: { fromEnv: 'API_KEY_SHA256' }, scopes: ['catalog:read'] }],
      },
    },
  );
  const server = await startServerProcess(config, { JWT_SECRET: jwtSecret, API_KEY_SHA256: sha256(apiKey) });
  const api = connect(server.grpcAddress);
  const seen: string[] = [];
  const call = (metadata: Record<string, string>) =>
    api.catalog.getProduct({ id: 'cup' }, { metadata: Metadata(metadata) }).then(
      (r) => seen.push(r.product?.name ?? ''),
      (e: Error) => seen.push(e.message),
    );

  const good = await hs256Token(jwtSecret, { scopes: ['catalog:read', 'orders:read'] });
  const tokens = [
    good,
    await hs256Token(jwtSecret, { scopes: ['catalog:read'], expiresIn: Math.floor(Date.now() / 1000) - 120 }),
    await hs256Token(jwtSecret, { scopes: [] }),
    await hs256Token(randomSecret(), { scopes: ['catalog:read'] }),
    `${good}tampered`,
  ];
  for (const token of tokens) await call({ authorization: `Bearer ${token}` });
  await call({ authorization: good }); // missing the Bearer prefix
  await call({ 'x-api-key': apiKey });
  await call({ 'x-api-key': `${apiKey}-wrong` });
  await api.orders.listOrders({}, { metadata: Metadata({ authorization: `Bearer ${good}` }) }).catch((e: Error) => seen.push(e.message));
  const bodies = await Promise.all(
    ['/metrics', '/health', '/debug/log-level'].map(async (path) => (await fetch(`${server.adminUrl}${path}`)).text()),
  );
  api.close();
  server.child.kill('SIGTERM');
  expect((await server.exited).code).toBe(0);
  cleanup();

  const printed = `${JSON.stringify(server.output.lines)}\n${server.output.stderr()}`;
  expect(server.output.lines.length).toBeGreaterThan(10); // the search below had material
  expect(seen.length).toBe(8);
  const everything = [printed, ...seen, ...bodies].join('\n');
  const secrets = { jwtSecret, apiKey, apiKeyDigest: sha256(apiKey), ...Object.fromEntries(tokens.map((t, i) => [`token${i}`, t])) };
  for (const [name, value] of Object.entries(secrets)) {
    expect.soft(everything.includes(value), `${name} leaked`).toBe(false);
    expect.soft(everything.includes(value.slice(-20)), `the end of ${name} leaked`).toBe(false); // e.g. a JWT signature
  }
});
