// Establishes who is calling from what a call presents: a bearer JWT (authorization metadata),
// an API key (x-api-key), or a verified client certificate. The first credential present decides:
// an invalid token is refused, not passed over for another credential.
import { createApiKeyVerifier, type ApiKeyConfig } from './api-keys.js';
import { createJwtVerifier, type JwtConfig } from './jwt-verifier.js';
import { AuthenticationError, type Credentials, type Principal } from './principal.js';

export type AuthConfig = Readonly<{
  jwt?: JwtConfig | undefined;
  apiKeys: readonly ApiKeyConfig[];
  mtlsClients: readonly Readonly<{ commonName: string; scopes: readonly string[] }>[];
}>;

export type Authenticator = (credentials: Credentials) => Promise<Principal>;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function createAuthenticator(config: AuthConfig): Authenticator {
  const verifyJwt = config.jwt === undefined ? undefined : createJwtVerifier(config.jwt);
  const verifyApiKey = config.apiKeys.length === 0 ? undefined : createApiKeyVerifier(config.apiKeys);
  const clients = new Map(config.mtlsClients.map((c) => [c.commonName, new Set(c.scopes)]));

  return async ({ authorization, apiKey, clientCommonName }) => {
    if (authorization !== undefined) {
      const token = BEARER.exec(authorization)?.[1];
      if (token === undefined) throw new AuthenticationError('authorization metadata must be "Bearer <token>"');
      if (verifyJwt === undefined) throw new AuthenticationError('bearer tokens are not accepted here');
      return verifyJwt(token);
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
