// The benchmark caller's credentials, minted with jose as an identity provider would: an RS256
// token whose public key the harness publishes as a JWKS, and an HS256 token with a shared secret.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { CUSTOMER } from './contract.js';

export const ISSUER = 'https://bench-issuer.invalid/';
export const AUDIENCE = 'orderflow';
/** What the caller may do: read the catalog, create and read its own orders (not orders:admin). */
const SCOPES = 'catalog:read orders:read orders:write';

export type Credentials = Readonly<{ rs256Token: string; jwks: { keys: JWK[] }; hs256Token: string; hs256Secret: string }>;

const claims = () =>
  new SignJWT({ scope: SCOPES }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject(CUSTOMER).setIssuedAt().setExpirationTime('3h');

export async function mintCredentials(): Promise<Credentials> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const kid = 'bench-rs256';
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const hs256Secret = randomBytes(36).toString('base64url');
  return {
    rs256Token: await claims().setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey),
    jwks: { keys: [jwk] },
    hs256Token: await claims().setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(hs256Secret)),
    hs256Secret,
  };
}
