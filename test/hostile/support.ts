// Shared by the hostile-input suite: an app with JWT authentication on, token minting (valid and
// deliberately broken tokens), metadata, and a small deterministic PRNG so failures reproduce.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import { startTestApp, type TestApp } from '../support/test-app.js';

export const ISSUER = 'test-issuer';
export const AUDIENCE = 'orderflow';
export const ALL_SCOPES = 'orders:read orders:write catalog:read catalog:write orders:admin';
export const MAX_MESSAGE_BYTES = 65_536;

export type HostileApp = TestApp & {
  /** The HS256 key the app verifies tokens with. */
  key: Uint8Array;
  /** A valid token with every scope (orders:admin included), minted at start. */
  adminToken: string;
};

/**
 * One app with authentication on; `limits` adds to the suite's limits. The test config is parsed
 * without an environment (see test-app.ts), so the HS256 secret is a file, not { fromEnv }.
 */
export async function startHostileApp(
  limits: Record<string, number> = {},
  overrides: { grpc?: Record<string, number> } = {},
): Promise<HostileApp> {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-hostile-'));
  const secret = randomBytes(36).toString('base64url'); // 48 characters
  const secretFile = join(dir, 'hs256');
  writeFileSync(secretFile, secret, { mode: 0o600 });
  const config = {
    auth: { enabled: true, jwt: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], hs256Secret: { fromFile: secretFile } } },
    grpc: { maxReceiveMessageBytes: MAX_MESSAGE_BYTES, ...overrides.grpc },
    limits: { maxImportItems: 1000, ratePerSecond: 100_000, rateBurst: 100_000, ...limits },
    // Warnings and errors only: the test keeps every log line in memory, which would blur the
    // heap comparison at the end; the lines that matter (failures, refusals) are still kept.
    log: { level: 'warn' },
  };
  const app = await startTestApp({ store: 'embedded', config });
  const key = new TextEncoder().encode(secret);
  const stop = () => app.stop().finally(() => rmSync(dir, { recursive: true, force: true }));
  return { ...app, stop, key, adminToken: await mintToken(key) };
}

export type TokenOptions = {
  scope?: string;
  /** null leaves the sub claim out. */
  subject?: string | null;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch. */
  expiresAt?: number;
  notBefore?: number;
};

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * A client deadline that only catches a hang: on a busy CI machine a refused call can take
 * seconds. Tests here assert how calls end, never how fast.
 */
export const PATIENT_MS = 30_000;

/** A token signed with `key` (HS256); valid for an hour unless the options say otherwise. */
export async function mintToken(key: Uint8Array, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ scope: options.scope ?? ALL_SCOPES })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? nowSeconds() + 3600);
  if (options.subject !== null) jwt.setSubject(options.subject ?? 'hostile-admin');
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return jwt.sign(key);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A token assembled by hand, for headers jose refuses to produce: `alg: none` with an empty
 * signature, or an HMAC signature under a header that claims another algorithm.
 */
export function handMadeToken(header: Record<string, unknown>, payload: Record<string, unknown>, hmacKey?: Uint8Array): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = hmacKey === undefined ? '' : createHmac('sha256', hmacKey).update(input).digest('base64url');
  return `${input}.${signature}`;
}

/** The claims mintToken would put in a valid admin token, for hand-made variants. */
export function validClaims(): Record<string, unknown> {
  return { scope: ALL_SCOPES, iss: ISSUER, aud: AUDIENCE, sub: 'hostile-admin', iat: nowSeconds(), exp: nowSeconds() + 3600 };
}

export function bearer(token: string): GrpcMetadata {
  const metadata = new GrpcMetadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** mulberry32: tiny, fast and deterministic; plenty for choosing bytes. */
export function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  const bytes = (length: number) => Uint8Array.from({ length }, () => int(256));
  return { next, int, bytes };
}

export type Prng = ReturnType<typeof prng>;

/** A stable 32-bit seed from a name (FNV-1a), mixed with HOSTILE_SEED to explore other inputs. */
export function seedFor(name: string): number {
  let hash = 0x811c9dc5 ^ Number(process.env.HOSTILE_SEED ?? 0);
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash >>> 0;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
