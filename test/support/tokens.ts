// Test credentials: JWTs signed with HS256 or with generated RS256/ES256 keys published in a
// JWKS file, and API keys with their SHA-256 digests.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export const ISSUER = 'test-issuer';
export const AUDIENCE = 'orderflow';

export function randomSecret(): string {
  return randomBytes(36).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export type TokenClaims = {
  subject?: string;
  scopes?: string[];
  issuer?: string;
  audience?: string;
  expiresIn?: string | number;
  notBefore?: string | number;
};

function claims(c: TokenClaims) {
  let jwt = new SignJWT({ scope: (c.scopes ?? []).join(' ') })
    .setIssuer(c.issuer ?? ISSUER)
    .setAudience(c.audience ?? AUDIENCE)
    .setIssuedAt();
  if (c.subject !== undefined) jwt = jwt.setSubject(c.subject);
  jwt = jwt.setExpirationTime(c.expiresIn ?? '1h');
  if (c.notBefore !== undefined) jwt = jwt.setNotBefore(c.notBefore);
  return jwt;
}

export function hs256Token(secret: string, c: TokenClaims = {}): Promise<string> {
  return claims({ subject: 'alice', ...c })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(secret));
}

/** A key pair for `alg`, with a JWKS file that publishes its public half (and `also`). */
export async function asymmetricSigner(alg: 'RS256' | 'ES256', kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    jwk,
    sign: (c: TokenClaims = {}) =>
      claims({ subject: 'alice', ...c })
        .setProtectedHeader({ alg, kid })
        .sign(privateKey),
  };
}

export function writeJwks(keys: JWK[], path = join(mkdtempSync(join(tmpdir(), 'orderflow-jwks-')), 'jwks.json')): string {
  writeFileSync(path, JSON.stringify({ keys }));
  return path;
}
