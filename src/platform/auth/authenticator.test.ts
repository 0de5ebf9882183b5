// The authenticator's contract: a cached token or an API key is answered synchronously (no
// promise on the hot path); everything else is a promise; refusals are AuthenticationErrors.
import { expect, test } from 'vitest';
import { AUDIENCE, hs256Token, ISSUER, randomSecret, sha256 } from '../../../test/support/tokens.js';
import { createAuthenticator } from './authenticator.js';
import { AuthenticationError } from './principal.js';

const secret = randomSecret();
const apiKey = randomSecret();
const authenticate = createAuthenticator({
  jwt: {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['HS256'],
    hs256Secret: { reveal: () => secret },
    jwksCacheMs: 600_000,
    leewaySeconds: 0,
  },
  apiKeys: [{ subject: 'checkout', sha256: { reveal: () => sha256(apiKey) }, scopes: ['orders:read'] }],
  mtlsClients: [],
});
const none = { authorization: undefined, apiKey: undefined, clientCommonName: undefined };

test('a bearer token is verified once, then answered without a promise', async () => {
  const authorization = `Bearer ${await hs256Token(secret, { subject: 'alice' })}`;
  const first = authenticate({ ...none, authorization });
  expect(first).toBeInstanceOf(Promise);
  expect((await first).subject).toBe('alice');
  const again = authenticate({ ...none, authorization });
  expect(again).not.toBeInstanceOf(Promise);
  expect(again).toMatchObject({ subject: 'alice', method: 'jwt' });
});

test('an API key is answered without a promise; refusals throw AuthenticationError', async () => {
  expect(authenticate({ ...none, apiKey })).toMatchObject({ subject: 'checkout', method: 'api-key' });
  expect(() => authenticate({ ...none, apiKey: `${apiKey}x` })).toThrow(AuthenticationError);
  expect(() => authenticate(none)).toThrow(/missing credentials/);
  expect(() => authenticate({ ...none, authorization: 'Basic abc' })).toThrow(/Bearer/);
  await expect(authenticate({ ...none, authorization: `Bearer ${await hs256Token(randomSecret())}` })).rejects.toThrow(
    'token signature invalid',
  );
});
