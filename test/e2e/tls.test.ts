// TLS on the gRPC port: server certificates from files (re-read when they change), optional
// client certificates identifying callers (mTLS), and health reachable without credentials.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { createChannel, createClientFactory } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { HealthCheckResponse_ServingStatus } from 'nice-grpc-server-health/lib/proto/grpc/health/v1/health.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CatalogServiceDefinition } from '../../src/gen/orderflow/catalog/v1/catalog_service.js';
import { failure } from '../support/grpc-errors.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'orderflow-tls-'));
const certs = (name: string, cn: string) => {
  execFileSync('scripts/dev-certs.sh', [cn, join(dir, name)], { stdio: 'ignore' });
  return (file: string) => join(dir, name, file);
};
const first = certs('first', 'orders-client');
const second = certs('second', 'stranger'); // another CA: its client cert must not be trusted
const live = (file: string) => join(dir, file);

/** The dev certificates name localhost; the address stays 127.0.0.1. */
function clients(address: string, ca: string, client?: { cert: string; key: string }) {
  const creds = credentials.createSsl(
    readFileSync(ca),
    client === undefined ? null : readFileSync(client.key),
    client === undefined ? null : readFileSync(client.cert),
  );
  const channel = createChannel(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
  const factory = createClientFactory();
  return {
    catalog: factory.create(CatalogServiceDefinition, channel),
    health: factory.create(HealthDefinition, channel),
    close: () => channel.close(),
  };
}

let app: TestApp;

beforeAll(async () => {
  for (const file of ['server.crt', 'server.key', 'ca.crt']) copyFileSync(first(file), live(file));
  app = await startTestApp({
    config: {
      grpc: {
        tls: {
          enabled: true,
          certFile: live('server.crt'),
          keyFile: live('server.key'),
          clientCaFile: live('ca.crt'),
          reloadIntervalMs: 200,
        },
      },
      auth: { enabled: true, mtlsClients: [{ commonName: 'orders-client', scopes: ['catalog:read'] }] },
    },
  });
});

afterAll(async () => {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS and mTLS', () => {
  test('a verified client certificate identifies the caller', async () => {
    const api = clients(app.grpcAddress, first('ca.crt'), { cert: first('client.crt'), key: first('client.key') });
    expect((await api.catalog.getProduct({ id: 'cup' })).product?.id).toBe('cup');
    api.close();
    expect(app.logs.some((l) => l.msg === 'finished call' && l.principal === 'cn:orders-client')).toBe(true);
  });

  test('without a client certificate: health answers, other calls are UNAUTHENTICATED', async () => {
    const api = clients(app.grpcAddress, first('ca.crt'));
    expect((await api.health.check({ service: '' })).status).toBe(1);
    expect((await failure(api.catalog.getProduct({ id: 'cup' }))).code).toBe('UNAUTHENTICATED');
    api.close();
  });

  test('a certificate from another CA identifies nobody', async () => {
    const api = clients(app.grpcAddress, first('ca.crt'), { cert: second('client.crt'), key: second('client.key') });
    const error = await failure(api.catalog.getProduct({ id: 'cup' }));
    expect(['UNAUTHENTICATED', 'UNAVAILABLE']).toContain(error.code); // not identified, or refused at the handshake
    api.close();
  });

  test('a plaintext client cannot talk to the TLS port', async () => {
    const channel = createChannel(app.grpcAddress);
    const health = createClientFactory().create(HealthDefinition, channel);
    expect((await failure(health.check({ service: '' }))).code).toBe('UNAVAILABLE');
    channel.close();
  });

  test('rotated certificate files are picked up without a restart', async () => {
    for (const file of ['server.crt', 'server.key', 'ca.crt']) copyFileSync(second(file), live(file));
    // Re-read every reloadIntervalMs: wait for the new server certificate to verify, on a fresh
    // connection each time (a busy machine may take several intervals).
    await until('the rotated server certificate is served', async () => {
      const api = clients(app.grpcAddress, second('ca.crt'));
      try {
        return (await api.health.check({ service: '' })).status === HealthCheckResponse_ServingStatus.SERVING;
      } finally {
        api.close();
      }
    });
    const old = clients(app.grpcAddress, first('ca.crt'));
    expect((await failure(old.health.check({ service: '' }))).code).toBe('UNAVAILABLE'); // the old CA no longer does
    old.close();
  });
});

test('requireClientCert refuses clients without a certificate at the handshake', async () => {
  const strict = await startTestApp({
    config: {
      grpc: {
        tls: {
          enabled: true,
          certFile: first('server.crt'),
          keyFile: first('server.key'),
          clientCaFile: first('ca.crt'),
          requireClientCert: true,
        },
      },
    },
  });
  const without = clients(strict.grpcAddress, first('ca.crt'));
  expect((await failure(without.health.check({ service: '' }))).code).toBe('UNAVAILABLE');
  without.close();
  const withCert = clients(strict.grpcAddress, first('ca.crt'), { cert: first('client.crt'), key: first('client.key') });
  expect((await withCert.health.check({ service: '' })).status).toBe(1);
  withCert.close();
  await strict.stop();
});
