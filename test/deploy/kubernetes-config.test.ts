// Each overlay's configs, read from the rendered ConfigMap at the CONF_PATH each pod mounts and
// loaded through the app's own loader (src/config.ts parseConfig), checked against the pods that
// run them: probe ports, the termination grace period against the shutdown budget, every secret
// file the config names mounted at that path from a Secret that has that key, the catalog target
// being the headless Service, and what differs per environment.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Config, parseConfig } from '../../src/config.js';
import { fileReferences } from './config-files.js';
import {
  cleanUpRenders,
  type Container,
  find,
  type K8sObject,
  OVERLAYS,
  type Overlay,
  podOf,
  type PodSpec,
  portNumber,
  renderOverlay,
  ROOT,
} from './render-overlay.js';

/**
 * Secrets staging and prod expect to exist (created outside git, docs/operations.md "Secrets"),
 * with their keys. cert-manager's secrets (tls.crt, tls.key, ca.crt) come from the Certificates.
 */
const EXTERNAL_SECRETS: Record<string, string[]> = {
  'orderflow-postgres': ['password'],
  'orderflow-redis': ['password', 'users.acl'],
  'orderflow-catalog-client': ['api-key'],
  'orderflow-catalog-auth': ['orders-api-key-sha256'],
};
const CERT_MANAGER_KEYS = ['tls.crt', 'tls.key', 'ca.crt'];

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'orderflow-k8s-config-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  cleanUpRenders();
});

type Mounted = { secret?: string; configMap?: string; key: string };

/** Which Secret or ConfigMap key a file path inside the container comes from, if any. */
function mountedAt(pod: PodSpec, container: Container, path: string): Mounted | undefined {
  const mount = (container.volumeMounts ?? [])
    .filter((m) => path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  const volume = pod.volumes?.find((v) => v.name === mount?.name);
  if (mount === undefined || volume === undefined) return undefined;
  const inside = relative(mount.mountPath, path);
  const source = volume.secret ?? volume.configMap;
  const items = volume.secret?.items ?? volume.configMap?.items;
  const key = items === undefined ? inside : items.find((i) => i.path === inside)?.key;
  if (source === undefined || key === undefined) return undefined;
  return volume.secret === undefined ? { configMap: volume.configMap?.name ?? '', key } : { secret: volume.secret.secretName, key };
}

/** The keys a Secret will have: rendered (dev), from a Certificate, or one of the documented external ones. */
function secretKeys(objects: K8sObject[], name: string): string[] {
  const rendered = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
  if (rendered !== undefined) return Object.keys(rendered.data ?? {});
  if (objects.some((o) => o.kind === 'Certificate' && (o.spec as { secretName: string }).secretName === name)) return CERT_MANAGER_KEYS;
  return EXTERNAL_SECRETS[name] ?? [];
}

function secretValue(objects: K8sObject[], name: string, key: string): string | undefined {
  const data = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name)?.data?.[key];
  return data === undefined ? undefined : Buffer.from(data.replace(/\s+/g, ''), 'base64').toString('utf8');
}

type Loaded = { config: Config; container: Container; pod: PodSpec; document: Record<string, unknown> };

const loaded = new Map<string, Loaded>();

/** Loads the config a workload runs with, through the app's loader, its secret files mounted as the pod mounts them. */
function loadWorkloadConfig(overlay: Overlay, kind: string, name: string): Loaded {
  const key = `${overlay}/${kind}/${name}`;
  const cached = loaded.get(key);
  if (cached !== undefined) return cached;
  const result = load(overlay, kind, name);
  loaded.set(key, result);
  return result;
}

function load(overlay: Overlay, kind: string, name: string): Loaded {
  const objects = renderOverlay(overlay);
  const pod = podOf(objects, kind, name);
  const container = pod.containers[0]!;
  const confPath = container.env?.find((e) => e.name === 'CONF_PATH')?.value;
  expect(confPath, `${name}: CONF_PATH`).toBe('/etc/orderflow/config.yaml');
  const source = mountedAt(pod, container, confPath!);
  expect(source?.configMap, `${name}: CONF_PATH is on a ConfigMap volume`).toBeDefined();
  const text = find(objects, 'ConfigMap', source!.configMap!).data?.[source!.key];
  expect(text, `${name}: ConfigMap key ${source!.key}`).toBeDefined();

  const document = parseYaml(text!) as Record<string, unknown>;
  const runtimeFiles = [document.grpc, (document.catalog as { remote?: unknown } | undefined)?.remote]
    .map((section) => (section as { tls?: Record<string, unknown> } | undefined)?.tls ?? {})
    .flatMap((tls) =>
      ['certFile', 'keyFile', 'clientCaFile', 'caFile'].map((k) => tls[k]).filter((v): v is string => typeof v === 'string'),
    );
  const references = fileReferences(document);
  for (const path of [...references.map((r) => r.path), ...runtimeFiles]) {
    const mounted = mountedAt(pod, container, path);
    expect(mounted?.secret, `${overlay} ${name}: ${path} is mounted from a Secret`).toBeDefined();
    expect(
      secretKeys(objects, mounted!.secret!),
      `${overlay} ${name}: Secret ${mounted!.secret} has key ${mounted!.key} (for ${path})`,
    ).toContain(mounted!.key);
  }
  // The files, as the pod would see them (dev: the generated values; elsewhere stand-ins).
  const dir = mkdtempSync(join(scratch, `${overlay}-${name}-`));
  for (const [i, reference] of references.entries()) {
    const mounted = mountedAt(pod, container, reference.path)!;
    const file = join(dir, `secret-${i}`);
    writeFileSync(file, secretValue(objects, mounted.secret!, mounted.key) ?? 'a'.repeat(64));
    reference.set(file);
  }
  const config = parseConfig(stringify(document), `${overlay} ConfigMap ${source!.configMap}/${source!.key}`);
  return { config, container, pod, document };
}

const preStopMs = (c: Container) => Number(c.lifecycle?.preStop?.exec?.command[1] ?? c.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  test.each(['orders', 'catalog'])('%s: its config loads, and probes, ports and grace period agree with it', (name) => {
    const { config, container, pod } = loadWorkloadConfig(overlay, 'Deployment', name);
    expect(config.env).toBe(overlay);
    expect(config.services).toMatchObject({ orders: name === 'orders', catalog: name === 'catalog' });
    expect(portNumber(container, 'grpc')).toBe(config.grpc.port);
    expect(portNumber(container, 'admin')).toBe(config.admin.port);
    // The kubelet and Prometheus reach the pod's IP, not its loopback.
    expect([config.grpc.host, config.admin.host]).toEqual(['0.0.0.0', '0.0.0.0']);

    const readiness = container.readinessProbe!;
    if (config.grpc.tls.enabled) {
      // The kubelet's gRPC probe has no TLS: readiness comes from the admin port instead.
      expect(readiness.grpc).toBeUndefined();
      expect(readiness.httpGet?.path).toBe('/health/ready');
      expect(portNumber(container, readiness.httpGet!.port)).toBe(config.admin.port);
    } else {
      expect(readiness.grpc?.port).toBe(config.grpc.port);
    }
    for (const probe of [container.livenessProbe!, container.startupProbe!]) {
      expect(probe.httpGet?.path).toBe('/health/live');
      expect(portNumber(container, probe.httpGet!.port)).toBe(config.admin.port);
    }

    // Kubernetes sends SIGKILL after the grace period, which includes preStop. The server itself
    // gives up after drainDelayMs + timeoutMs + 2 x closeTimeoutMs + 1 s (src/cmd/server.ts).
    const { drainDelayMs, timeoutMs, closeTimeoutMs } = config.shutdown;
    const needed = preStopMs(container) + drainDelayMs + timeoutMs + 2 * closeTimeoutMs + 1000;
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(needed);
  });

  test('orders reaches every catalog pod: dns:/// the headless Service, round robin, TLS as the catalog serves it', () => {
    const orders = loadWorkloadConfig(overlay, 'Deployment', 'orders').config;
    const catalog = loadWorkloadConfig(overlay, 'Deployment', 'catalog').config;
    const remote = orders.catalog.remote!;
    const target = /^dns:\/\/\/([a-z0-9-]+):(\d+)$/.exec(remote.address);
    expect(target, remote.address).not.toBeNull();
    const service = find(renderOverlay(overlay), 'Service', target![1]!).spec as {
      clusterIP?: string;
      selector: Record<string, string>;
      ports: { port: number; targetPort: string }[];
    };
    expect(service.clusterIP).toBe('None');
    expect(service.selector).toEqual({ 'app.kubernetes.io/name': 'catalog' });
    expect(service.ports.find((p) => p.port === Number(target![2]))?.targetPort).toBe('grpc');
    expect(Number(target![2])).toBe(catalog.grpc.port);
    expect(remote.loadBalancing).toBe('round_robin');
    expect(remote.tls.enabled).toBe(catalog.grpc.tls.enabled);
    expect(remote.apiKey).toBeDefined();
    expect(catalog.auth.apiKeys.map((k) => [k.subject, k.scopes])).toEqual([['orders-service', ['catalog:read']]]);
    if (overlay === 'dev') {
      // The pair of generated secrets belongs together: catalog holds the digest of orders' key.
      expect(catalog.auth.apiKeys[0]!.sha256.reveal()).toBe(createHash('sha256').update(remote.apiKey!.reveal()).digest('hex'));
    }
  });

  test('the worker: its config loads, probes and grace period agree with it; it takes the jobs orders queues, on the database orders uses', () => {
    const { config, container, pod } = loadWorkloadConfig(overlay, 'Deployment', 'worker');
    const orders = loadWorkloadConfig(overlay, 'Deployment', 'orders').config;
    expect(config.env).toBe(overlay);
    expect(portNumber(container, 'admin')).toBe(config.admin.port);
    expect(config.admin.host).toBe('0.0.0.0');
    for (const probe of [container.readinessProbe!, container.livenessProbe!, container.startupProbe!])
      expect(portNumber(container, probe.httpGet!.port)).toBe(config.admin.port);
    // src/cmd/worker.ts gives up after timeoutMs + 2 x closeTimeoutMs + 1 s.
    const { timeoutMs, closeTimeoutMs } = config.shutdown;
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(timeoutMs + 2 * closeTimeoutMs + 1000);
    expect(orders.services.exports).toBe(false);
    const queue = (c: Config) =>
      c.exports.queue.kind === 'bullmq' ? { ...c.exports.queue, password: c.exports.queue.password?.reveal() } : undefined;
    expect(queue(config)).toBeDefined();
    expect(queue(config)).toEqual(queue(orders));
    const where = (c: Config) => (c.store.kind === 'postgres' ? [c.store.host, c.store.port, c.store.database, c.store.user] : []);
    expect(where(config)).toEqual(where(orders));
  });

  test('the migrate Job loads its config and migrates the database orders and catalog use', () => {
    const migrate = loadWorkloadConfig(overlay, 'Job', 'migrate').config;
    const orders = loadWorkloadConfig(overlay, 'Deployment', 'orders').config;
    expect(migrate.store).toMatchObject({ kind: 'postgres' });
    const where = (c: Config) => (c.store.kind === 'postgres' ? [c.store.host, c.store.port, c.store.database, c.store.user] : []);
    expect(where(migrate)).toEqual(where(orders));
    expect(where(loadWorkloadConfig(overlay, 'Deployment', 'catalog').config)).toEqual(where(orders));
    expect(orders.store.kind === 'postgres' && orders.store.migrate).toBe(false);
  });
});

test('the environments differ where they should: TLS, reflection, debug endpoints, log level, sampling', () => {
  const configs = OVERLAYS.map((o) => loadWorkloadConfig(o, 'Deployment', 'orders').config);
  expect(configs.map((c) => c.grpc.tls.enabled)).toEqual([false, true, true]);
  expect(configs.map((c) => c.grpc.reflection)).toEqual([true, true, false]);
  expect(configs.map((c) => c.debug.enabled)).toEqual([true, false, false]);
  expect(configs.map((c) => c.log.level)).toEqual(['debug', 'info', 'info']);
  const ratios = configs.map((c) => c.tracing.sampleRatio);
  expect([...ratios].sort((a, b) => b - a)).toEqual(ratios);
  expect(new Set(ratios).size).toBe(3);
  const catalogs = OVERLAYS.map((o) => loadWorkloadConfig(o, 'Deployment', 'catalog').config);
  expect(catalogs.map((c) => [c.grpc.tls.enabled, c.grpc.reflection, c.tracing.sampleRatio])).toEqual(
    configs.map((c) => [c.grpc.tls.enabled, c.grpc.reflection, c.tracing.sampleRatio]),
  );
});

test('docs/operations.md names every Secret staging and prod expect, with its keys', () => {
  const guide = readFileSync(`${ROOT}docs/operations.md`, 'utf8');
  for (const [name, keys] of Object.entries(EXTERNAL_SECRETS)) {
    expect(guide, name).toContain(name);
    for (const key of keys) expect(guide, `${name} key ${key}`).toContain(key);
  }
});
