// API keys, stored only as hex SHA-256 digests (in the secret store). A presented key is hashed
// and compared with every stored digest in constant time, so timing reveals neither which key
// nor how much of one matched.
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, type Principal } from './principal.js';

export type ApiKeyConfig = Readonly<{ subject: string; sha256: { reveal(): string }; scopes: readonly string[] }>;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function createApiKeyVerifier(keys: readonly ApiKeyConfig[]) {
  const stored = keys.map((k) => {
    const digest = k.sha256.reveal().trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new Error(`auth.apiKeys: the sha256 of "${k.subject}" is not 64 hex digits`);
    return { digest: Buffer.from(digest, 'hex'), principal: { subject: k.subject, scopes: new Set(k.scopes), method: 'api-key' as const } };
  });
  return (presented: string): Principal => {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let match: Principal | undefined;
    for (const key of stored) if (timingSafeEqual(digest, key.digest)) match ??= key.principal;
    if (match === undefined) throw new AuthenticationError('API key not accepted');
    return match;
  };
}
