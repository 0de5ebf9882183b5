// Authentication and authorisation against hostile callers: every method refuses a call without
// credentials, with malformed metadata or with a bad token (UNAUTHENTICATED); a valid token
// without the method's scope is PERMISSION_DENIED; health stays open to everyone.
import { type Client, Metadata as GrpcMetadata } from '@grpc/grpc-js';
import type { ClientHttp2Session } from 'node:http2';
import { Metadata } from 'nice-grpc';
import { HealthCheckResponse_ServingStatus } from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { METHOD_SCOPES } from '../../src/transport/grpc/orderflow-scopes.js';
import { type Clients, connect } from '../support/clients.js';
import { failure } from '../support/grpc-errors.js';
import { FUZZ_METHODS, methodNamed } from './fuzz-methods.js';
import { closeSession, http2Call, openSession, prefix } from '../support/http2-raw.js';
import { expectIntactAfterAbuse, heapUsed } from './invariants.js';
import { leaksInternals, rawCall, rawClient, statusName } from './raw-calls.js';
import {
  ALL_SCOPES,
  AUDIENCE,
  bearer,
  handMadeToken,
  type HostileApp,
  ISSUER,
  mintToken,
  nowSeconds,
  PATIENT_MS,
  startHostileApp,
  validClaims,
} from './support.js';

let app: HostileApp;
let api: Clients;
let raw: Client;
let session: ClientHttp2Session;
let baseline: Awaited<ReturnType<typeof heapUsed>>;

beforeAll(async () => {
  app = await startHostileApp();
  api = connect(app.grpcAddress);
  raw = rawClient(app.grpcAddress);
  session = await openSession(app.grpcAddress);
  baseline = await heapUsed(app);
});

afterAll(async () => {
  if (session !== undefined) await closeSession(session);
  raw?.close();
  api?.close();
  await app?.stop();
});

const GET_PRODUCT = methodNamed('GetProduct');

/** The status name of `method` called with a valid body and `metadata`; fails on leaked internals. */
async function statusOf(metadata: GrpcMetadata, method = GET_PRODUCT): Promise<string> {
  const outcome = await rawCall(raw, { path: method.path, kind: method.kind, messages: [method.base], metadata, deadlineMs: PATIENT_MS });
  if (outcome.hung) return 'HUNG';
  expect(leaksInternals(outcome.details), outcome.details).toBe(false);
  return statusName(outcome.code);
}

function metadataWith(entries: Record<string, string>): GrpcMetadata {
  const metadata = new GrpcMetadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

describe('no credentials', () => {
  for (const method of FUZZ_METHODS) {
    test(`${method.path} (${method.kind}) is UNAUTHENTICATED`, async () => {
      expect(await statusOf(new GrpcMetadata(), method)).toBe('UNAUTHENTICATED');
    });
  }

  test('grpc.health.v1 Check answers SERVING without credentials', async () => {
    expect((await api.health.check({ service: '' }, { deadline: PATIENT_MS })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});

describe('malformed metadata', () => {
  const garbage = Array.from({ length: 8192 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 94))).join('');
  const CASES: Record<string, Record<string, string>> = {
    'an empty authorization': { authorization: '' },
    'authorization "Bearer"': { authorization: 'Bearer' },
    'authorization "Bearer a b"': { authorization: 'Bearer a b' },
    'a Basic authorization': { authorization: 'Basic dXNlcjpwYXNz' },
    '8 KiB of garbage as the token': { authorization: `Bearer ${garbage}` },
    'a garbage x-api-key': { 'x-api-key': 'garbage' },
    '8 KiB of garbage as x-api-key': { 'x-api-key': garbage },
    'only x-orderflow-internal-call': { 'x-orderflow-internal-call': `${process.pid}-1` },
  };
  for (const [name, entries] of Object.entries(CASES)) {
    test(`${name}: UNAUTHENTICATED`, async () => {
      expect(await statusOf(metadataWith(entries))).toBe('UNAUTHENTICATED');
    });
  }

  test('guessed x-orderflow-internal-call ids are overwritten, never looked up', async () => {
    for (let n = 1; n <= 50; n++)
      expect(await statusOf(metadataWith({ 'x-orderflow-internal-call': `${process.pid}-${n}` }))).toBe('UNAUTHENTICATED');
    const withToken = bearer(app.adminToken);
    withToken.set('x-orderflow-internal-call', 'forged');
    expect(await statusOf(withToken)).toBe('OK');
  });

  // grpc-js refuses to send non-ASCII metadata, so these go over raw HTTP/2 (latin-1 bytes).
  for (const [name, header] of [
    ['authorization', 'Bearer caf\u00e9\u00ff'],
    ['x-api-key', 'cl\u00e9'],
  ] as const) {
    test(`a non-ASCII ${name}: UNAUTHENTICATED`, async () => {
      const body = Buffer.concat([prefix(0, GET_PRODUCT.base.length), GET_PRODUCT.base]);
      const outcome = await http2Call(session, { path: GET_PRODUCT.path, headers: { [name]: header }, body });
      expect(outcome.hung).toBe(false);
      expect(outcome.grpcStatus ?? outcome.rstCode, JSON.stringify(outcome)).toBe(16);
    });
  }
});

describe('bad tokens', () => {
  const token = async (change: Parameters<typeof mintToken>[1]) => mintToken(app.key, change);
  const CASES: Record<string, () => Promise<string> | string> = {
    'forged (another key)': () => mintToken(new TextEncoder().encode('another-key-'.repeat(4))),
    expired: () => token({ expiresAt: nowSeconds() - 3600 }),
    'not yet valid (nbf an hour ahead)': () => token({ notBefore: nowSeconds() + 3600 }),
    'wrong audience': () => token({ audience: `${AUDIENCE}-other` }),
    'wrong issuer': () => token({ issuer: `${ISSUER}-other` }),
    'no sub': () => token({ subject: null }),
    'alg none': () => handMadeToken({ alg: 'none', typ: 'JWT' }, validClaims()),
    'HS256 signature under an RS256 header': () => handMadeToken({ alg: 'RS256', typ: 'JWT' }, validClaims(), app.key),
    'no exp': () => handMadeToken({ alg: 'HS256', typ: 'JWT' }, { ...validClaims(), exp: undefined }, app.key),
    'a signature cut short': async () => (await token({})).slice(0, -10),
    'payload swapped under a valid signature': async () => {
      const [header, , signature] = (await token({ scope: 'catalog:read' })).split('.');
      return `${header}.${Buffer.from(JSON.stringify({ ...validClaims(), sub: 'root' })).toString('base64url')}.${signature}`;
    },
    'five parts (JWE-shaped)': () => 'a.b.c.d.e',
  };
  for (const [name, make] of Object.entries(CASES)) {
    test(`${name}: UNAUTHENTICATED, details without the token`, async () => {
      const value = await make();
      const outcome = await rawCall(raw, {
        path: GET_PRODUCT.path,
        kind: 'unary',
        messages: [GET_PRODUCT.base],
        metadata: bearer(value),
        deadlineMs: PATIENT_MS,
      });
      expect(outcome.hung ? 'HUNG' : statusName(outcome.code)).toBe('UNAUTHENTICATED');
      if (!outcome.hung && value.length > 20) expect(outcome.details).not.toContain(value.slice(-20));
    });
  }
});

describe('valid token, missing scope', () => {
  for (const method of FUZZ_METHODS) {
    const needed = METHOD_SCOPES[method.path] ?? '';
    test(`${method.path} without ${needed}: PERMISSION_DENIED`, async () => {
      const scope = ALL_SCOPES.split(' ')
        .filter((s) => s !== needed)
        .join(' ');
      expect(await statusOf(bearer(await mintToken(app.key, { scope })), method)).toBe('PERMISSION_DENIED');
    });
  }

  test("a customer token cannot read or list another customer's orders", async () => {
    const admin = Metadata({ authorization: `Bearer ${app.adminToken}` });
    const order = (await api.orders.createOrder({ customerId: 'alice', items: [{ productId: 'cup', quantity: 1 }] }, { metadata: admin }))
      .order;
    const mallory = Metadata({
      authorization: `Bearer ${await mintToken(app.key, { subject: 'mallory', scope: 'orders:read orders:write' })}`,
    });
    expect((await failure(api.orders.getOrder({ id: order?.id ?? '' }, { metadata: mallory }))).code).toBe('PERMISSION_DENIED');
    expect((await failure(api.orders.listOrders({ customerId: 'alice' }, { metadata: mallory }))).code).toBe('PERMISSION_DENIED');
    const updating = api.orders.updateOrderStatus({ id: order?.id ?? '', status: 5 }, { metadata: mallory });
    expect((await failure(updating)).code).toBe('PERMISSION_DENIED');
  });
});

test('the server is intact afterwards: health, a real order, heap, whole orders, gap-free events', async () => {
  await expectIntactAfterAbuse(app, baseline);
});
