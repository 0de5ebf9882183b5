// Establishes who is calling from what a call presents: a bearer JWT (authorization metadata),
// an API key (x-api-key), or a verified client certificate. The first credential present decides:
// an invalid token is refused, not passed over for another credential.
// A cached token or an API key is answered synchronously: no promise is made on that path.
import { createApiKeyVerifier, type ApiKeyConfig } from './api-keys.js';
import { createJwtVerifier, type JwtConfig, type JwtVerifierSeams } from './jwt-verifier.js';
import { AuthenticationError, type Credentials, type Principal } from './principal.js';

export type AuthConfig = Readonly<{
  jwt?: JwtConfig | undefined;
  apiKeys: readonly ApiKeyConfig[];
  mtlsClients: readonly Readonly<{ commonName: string; scopes: readonly string[] }>[];
}>;

/**
 * The caller's principal, or an AuthenticationError (thrown synchronously, or as the rejection of
 * the returned promise: `await` it inside a try to handle both).
 */
export type Authenticator = (credentials: Credentials) => Principal | Promise<Principal>;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function createAuthenticator(config: AuthConfig, seams: JwtVerifierSeams = {}): Authenticator {
  const jwt = config.jwt === undefined ? undefined : createJwtVerifier(config.jwt, seams);
  const verifyApiKey = config.apiKeys.length === 0 ? undefined : createApiKeyVerifier(config.apiKeys);
  const clients = new Map(config.mtlsClients.map((c) => [c.commonName, new Set(c.scopes)]));

  return ({ authorization, apiKey, clientCommonName }) => {
    if (authorization !== undefined) {
      const token = BEARER.exec(authorization)?.[1];
      if (token === undefined) throw new AuthenticationError('authorization metadata must be "Bearer <token>"');
      if (jwt === undefined) throw new AuthenticationError('bearer tokens are not accepted here');
      return jwt.verify(token);
    }
    if (apiKey !== undefined) {
      if (verifyApiKey === undefined) throw new AuthenticationError('API keys are not accepted here');
      return verifyApiKey(apiKey);
    }
    if (clientCommonName !== undefined) {
      const scopes = clients.get(clientCommonName);
      if (scopes === undefined) throw new AuthenticationError('client certificate not recognised');
      return { subject: `cn:${clientCommonName}`, scopes, method: 'mtls' };
    }
    throw new AuthenticationError('missing credentials: send "authorization: Bearer <token>" or x-api-key');
  };
}
