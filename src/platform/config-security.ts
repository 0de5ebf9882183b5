// Reusable parts of a gRPC service's configuration schema: TLS on the gRPC port, authentication
// and per-caller limits, with the checks that span their keys.
import { z } from 'zod';
import { secretRef } from './config-secret.js';

const positiveInt = z.number().int().positive();

export const tlsSchema = z
  .strictObject({
    /** Plaintext gRPC only when this says so (dev, or behind a mesh that terminates mTLS). */
    enabled: z.boolean().default(true),
    /** PEM certificate chain and private key of the server; re-read when they change. */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** PEM CA bundle that client certificates must chain to (mTLS). */
    clientCaFile: z.string().min(1).optional(),
    /**
     * Refuse, at the handshake, clients without a certificate signed by clientCaFile. When false
     * (and clientCaFile is set) certificates are still requested, and a verified one identifies
     * its caller, while clients without one can still use tokens and reach health checks.
     */
    requireClientCert: z.boolean().default(false),
    /** How often the certificate files are checked for changes. */
    reloadIntervalMs: positiveInt.default(60_000),
  })
  .prefault({});

const scopes = z.array(z.string().regex(/^[a-z]+:[a-z]+$/, 'scopes look like "orders:read"'));

export const authSchema = z
  .strictObject({
    /** Off: every call is allowed, as an administrator. Only permitted with env: dev. */
    enabled: z.boolean().default(true),
    /** Bearer JWTs in the authorization metadata. */
    jwt: z
      .strictObject({
        issuer: z.string().min(1),
        audience: z.string().min(1),
        /** Accepted algorithms; "none" is never accepted. */
        algorithms: z
          .array(z.enum(['HS256', 'RS256', 'ES256']))
          .min(1)
          .default(['RS256', 'ES256']),
        /** Key for HS256, at least 32 bytes. */
        hs256Secret: secretRef.optional(),
        /** Public keys for RS256/ES256: a JWKS file (re-read when it changes) or URL (cached). */
        jwksFile: z.string().min(1).optional(),
        jwksUrl: z.string().url().optional(),
        jwksCacheMs: positiveInt.default(600_000),
        /** Clock skew tolerated on exp and nbf. */
        leewaySeconds: z.number().int().min(0).max(300).default(30),
        /**
         * Verified tokens remembered in memory (by SHA-256 digest, each until its exp minus the
         * leeway, dropped when the key set changes); 0 verifies every call from scratch.
         */
        cacheMaxEntries: z.number().int().min(0).max(1_000_000).default(10_000),
      })
      .optional(),
    /** API keys in x-api-key metadata, each stored as the hex SHA-256 of the key. */
    apiKeys: z.array(z.strictObject({ subject: z.string().min(1), sha256: secretRef, scopes })).default([]),
    /** Client-certificate identities (mTLS; needs grpc.tls.clientCaFile), by certificate common name. */
    mtlsClients: z.array(z.strictObject({ commonName: z.string().min(1), scopes })).default([]),
  })
  .prefault({});

/** Per-caller limits; a service adds its own keys to this shape. */
export const limitsShape = {
  /** Calls per second allowed to one caller (token bucket), and the burst above it. */
  ratePerSecond: positiveInt.default(200),
  rateBurst: positiveInt.default(400),
  /** Unary calls whose client sent no deadline get this one. */
  defaultDeadlineMs: positiveInt.default(10_000),
  /** Per-method defaults, by "package.Service/Method". */
  methodDeadlinesMs: z.record(z.string(), positiveInt).default({}),
  /**
   * A client-streaming or bidi call whose client sends nothing for this long (and a server
   * stream whose request message does not come) ends DEADLINE_EXCEEDED.
   */
  streamIdleTimeoutMs: positiveInt.default(300_000),
};

type Security = {
  env: 'dev' | 'staging' | 'prod';
  grpc: { tls: z.infer<typeof tlsSchema> };
  auth: z.infer<typeof authSchema>;
};

export function securityProblems({ env, grpc: { tls }, auth }: Security): string[] {
  const problems: string[] = [];
  if (tls.enabled && (tls.certFile === undefined || tls.keyFile === undefined))
    problems.push('grpc.tls: certFile and keyFile are required when tls.enabled (or set enabled: false for plaintext)');
  if (tls.requireClientCert && tls.clientCaFile === undefined) problems.push('grpc.tls.clientCaFile: required with requireClientCert');
  if (!auth.enabled && env !== 'dev') problems.push(`auth.enabled: false is only allowed with env: dev (this is ${env})`);
  if (auth.enabled && auth.jwt === undefined && auth.apiKeys.length === 0 && auth.mtlsClients.length === 0) {
    problems.push('auth: enabled but no way to authenticate; configure auth.jwt, auth.apiKeys or auth.mtlsClients');
  }
  const jwt = auth.jwt;
  if (jwt?.algorithms.includes('HS256') === true && jwt.hs256Secret === undefined)
    problems.push('auth.jwt.hs256Secret: required when algorithms include HS256');
  const asymmetric = jwt?.algorithms.some((a) => a !== 'HS256') === true;
  if (asymmetric && jwt?.jwksFile === undefined && jwt?.jwksUrl === undefined)
    problems.push('auth.jwt: jwksFile or jwksUrl is required for RS256/ES256');
  if (auth.mtlsClients.length > 0 && (!tls.enabled || tls.clientCaFile === undefined))
    problems.push('auth.mtlsClients: needs TLS with grpc.tls.clientCaFile (only verified certificates identify callers)');
  return problems;
}
