// The Kubernetes overlays, rendered with `kubectl kustomize`: every object valid against its
// schema, and the properties the deployment promises read back from the rendered manifests —
// hardened pods, probes, the headless catalog Service, NetworkPolicies, autoscaling and
// disruption budgets, monitoring and certificates. The configs inside the ConfigMaps are checked
// against the pods in kubernetes-config.test.ts.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, test } from 'vitest';
import {
  cleanUpRenders,
  type Container,
  find,
  type K8sObject,
  OVERLAYS,
  podOf,
  podTemplates,
  renderOverlay,
  ROOT,
  selects,
} from './render-overlay.js';
import { validateObject } from './validate-manifest.js';

afterAll(cleanUpRenders);

type Port = { name?: string; port: number; targetPort?: number | string; appProtocol?: string };
type Peer = {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string };
};
type Rule = { from?: Peer[]; to?: Peer[]; ports?: { port: number | string; protocol?: string }[] };
type Policy = {
  podSelector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  policyTypes: string[];
  ingress?: Rule[];
  egress?: Rule[];
};

const policies = (objects: K8sObject[]) =>
  objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => ({ name: o.metadata.name, spec: o.spec as Policy }));
const app = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'orderflow' });

/** Egress ports every policy selecting a pod with `labels` allows, by destination description. */
function egressPorts(objects: K8sObject[], labels: Record<string, string>): number[] {
  return policies(objects)
    .filter((p) => selects(p.spec.podSelector, labels))
    .flatMap((p) => p.spec.egress ?? [])
    .flatMap((r) => (r.ports ?? []).map((port) => Number(port.port)))
    .sort((a, b) => a - b);
}

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = () => renderOverlay(overlay);

  test('renders, and every object is valid against its OpenAPI schema (CRDs: their own schemas)', () => {
    expect(objects().length).toBeGreaterThan(20);
    for (const object of objects()) validateObject(object);
    expect(new Set(objects().map((o) => o.metadata.namespace ?? o.metadata.name))).toEqual(new Set([`orderflow-${overlay}`]));
  });

  test('every pod is hardened: non-root, read-only root filesystem, no privilege escalation, no capabilities, seccomp RuntimeDefault, no API token, requests and limits', () => {
    const templates = podTemplates(objects());
    expect(templates.map((t) => t.object.metadata.name).sort()).toEqual(
      overlay === 'dev'
        ? ['catalog', 'migrate', 'orders', 'postgres', 'redis', 'worker']
        : ['catalog', 'migrate', 'orders', 'redis', 'worker'],
    );
    for (const { object, pod } of templates) {
      const where = `${object.kind}/${object.metadata.name}`;
      expect(pod.securityContext, where).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(Number(pod.securityContext?.runAsUser), where).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken, where).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext, `${where} ${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext?.privileged ?? false).toBe(false);
        expect(Object.keys(c.resources?.requests ?? {}).sort(), `${where} requests`).toEqual(['cpu', 'memory']);
        expect(c.resources?.limits?.memory, `${where} memory limit`).toBeDefined();
        expect(c.image, where).toMatch(/:[\w.-]+$/);
        expect(c.image, where).not.toMatch(/:latest$/);
      }
    }
  });

  test('orders and catalog: one image, the server command, startup, readiness and liveness probes, preStop; the worker: the worker command, admin probes', () => {
    for (const name of ['orders', 'catalog']) {
      const [c] = podOf(objects(), 'Deployment', name).containers as [Container];
      expect(c.args).toEqual(['dist/cmd/server.js']);
      expect(c.startupProbe?.httpGet?.path).toBe('/health/live');
      expect(c.livenessProbe?.httpGet?.path).toBe('/health/live');
      // Plaintext gRPC in dev: the kubelet's native gRPC probe; with TLS the admin port's readiness.
      if (overlay === 'dev') expect(c.readinessProbe?.grpc?.port).toBe(50051);
      else expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/health/ready', port: 'admin' } });
      expect(Object.keys(c.readinessProbe ?? {}).filter((k) => ['grpc', 'httpGet', 'exec', 'tcpSocket'].includes(k))).toHaveLength(1);
      expect(c.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    }
    const [worker] = podOf(objects(), 'Deployment', 'worker').containers as [Container];
    expect(worker.args).toEqual(['dist/cmd/worker.js']);
    expect(worker.image).toBe((podOf(objects(), 'Deployment', 'orders').containers[0] as Container).image);
    expect(worker.ports?.map((p) => p.name)).toEqual(['admin']);
    expect([worker.startupProbe?.httpGet?.path, worker.readinessProbe?.httpGet?.path, worker.livenessProbe?.httpGet?.path]).toEqual([
      '/health/live',
      '/health/ready',
      '/health/live',
    ]);
    const [migrate] = podOf(objects(), 'Job', 'migrate').containers as [Container];
    expect(migrate.args).toEqual(['dist/cmd/migrate.js']);
    expect(migrate.image).toBe((podOf(objects(), 'Deployment', 'orders').containers[0] as Container).image);
  });

  test('Services: named gRPC ports with appProtocol grpc; the catalog Service is headless', () => {
    for (const name of ['orders', 'orders-headless', 'catalog']) {
      const ports = (find(objects(), 'Service', name).spec as { ports: Port[] }).ports;
      expect(
        ports.find((p) => p.name === 'grpc'),
        name,
      ).toMatchObject({ port: 50051, targetPort: 'grpc', appProtocol: 'grpc' });
    }
    expect((find(objects(), 'Service', 'catalog').spec as { clusterIP?: string }).clusterIP).toBe('None');
    expect((find(objects(), 'Service', 'orders-headless').spec as { clusterIP?: string }).clusterIP).toBe('None');
    expect((find(objects(), 'Service', 'orders').spec as { clusterIP?: string }).clusterIP).toBeUndefined();
  });

  test('NetworkPolicies: default deny; gRPC from allowed clients; admin only from monitoring; egress only to PostgreSQL, Redis, catalog, collector, DNS', () => {
    const all = policies(objects());
    expect(all.find((p) => p.name === 'default-deny')?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

    const ordersIngress = all.filter((p) => selects(p.spec.podSelector, app('orders'))).flatMap((p) => p.spec.ingress ?? []);
    const admin = ordersIngress.filter((r) => r.ports?.some((p) => p.port === 9464));
    expect(admin).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: 9464, protocol: 'TCP' }],
      },
    ]);
    expect(
      ordersIngress
        .flatMap((r) => r.ports ?? [])
        .map((p) => p.port)
        .sort(),
    ).toEqual([50051, 9464]);
    const catalogGrpc = all
      .filter((p) => selects(p.spec.podSelector, app('catalog')))
      .flatMap((p) => p.spec.ingress ?? [])
      .filter((r) => r.ports?.some((p) => p.port === 50051));
    expect(catalogGrpc.flatMap((r) => r.from ?? [])).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } } }]);

    // Staging and prod also fetch the identity provider's JWKS over HTTPS (443).
    const jwks = overlay === 'dev' ? [] : [443];
    expect(egressPorts(objects(), app('orders'))).toEqual([53, 53, ...jwks, 4317, 4318, 5432, 6379, 50051].sort((a, b) => a - b));
    expect(egressPorts(objects(), app('catalog'))).toEqual([53, 53, ...jwks, 4317, 4318, 5432].sort((a, b) => a - b));
    expect(egressPorts(objects(), app('migrate'))).toEqual([53, 53, 5432]);
    expect(egressPorts(objects(), app('worker'))).toEqual([53, 53, 4317, 4318, 5432, 6379]);
    const workerIngress = all.filter((p) => selects(p.spec.podSelector, app('worker'))).flatMap((p) => p.spec.ingress ?? []);
    expect(workerIngress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: 9464, protocol: 'TCP' }],
      },
    ]);
    expect(egressPorts(objects(), app('redis'))).toEqual([]);
    const redisFrom = all
      .filter((p) => selects(p.spec.podSelector, app('redis')))
      .flatMap((p) => p.spec.ingress ?? [])
      .flatMap((r) => r.from ?? []);
    expect(redisFrom).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'worker' } } },
    ]);
  });

  test('every pod is selected by a policy of each type besides default-deny (nothing relies on it alone)', () => {
    for (const { object, labels } of podTemplates(objects())) {
      const own = policies(objects()).filter((p) => p.name !== 'default-deny' && selects(p.spec.podSelector, labels));
      expect(
        own.flatMap((p) => p.spec.policyTypes),
        object.metadata.name,
      ).toEqual(expect.arrayContaining(['Ingress', 'Egress']));
    }
  });

  test('autoscalers and disruption budgets point at the Deployments, which leave the replica count to the autoscaler', () => {
    for (const name of ['orders', 'catalog', 'worker']) {
      const hpa = find(objects(), 'HorizontalPodAutoscaler', name).spec as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
      };
      expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name });
      expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
      expect((find(objects(), 'Deployment', name).spec as { replicas?: number }).replicas).toBeUndefined();
      const pdb = find(objects(), 'PodDisruptionBudget', name).spec as {
        selector: { matchLabels: Record<string, string> };
        maxUnavailable: number;
      };
      expect(pdb.maxUnavailable).toBe(1);
      const labels = podTemplates(objects()).find((t) => t.object.kind === 'Deployment' && t.object.metadata.name === name)?.labels ?? {};
      expect(selects(pdb.selector, labels)).toBe(true);
    }
  });

  test('ServiceMonitor scrapes the admin port of orders, catalog and the worker as job="orderflow", and the PrometheusRule holds the shipped rules', () => {
    const monitor = find(objects(), 'ServiceMonitor', 'orderflow').spec as {
      jobLabel: string;
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string }[];
    };
    const scraped = objects().filter((o) => o.kind === 'Service' && selects(monitor.selector, o.metadata.labels ?? {}));
    expect(scraped.map((s) => s.metadata.name).sort()).toEqual(['catalog', 'orders', 'worker']);
    for (const service of scraped) {
      expect(service.metadata.labels?.[monitor.jobLabel]).toBe('orderflow');
      expect((service.spec as { ports: Port[] }).ports.find((p) => p.name === monitor.endpoints[0]?.port)).toMatchObject({ port: 9464 });
    }
    const rule = find(objects(), 'PrometheusRule', 'orderflow-alerts');
    expect(rule.spec).toEqual(parseYaml(readFileSync(`${ROOT}deploy/prometheus/rules/orderflow-alerts.yml`, 'utf8')));
  });

  test('`kubectl apply -l orderflow/migration=true` applies the migrate Job with everything it uses, and nothing that serves', () => {
    const selected = objects().filter((o) => o.metadata.labels?.['orderflow/migration'] === 'true');
    const job = find(objects(), 'Job', 'migrate');
    expect(selected).toContain(job);
    const pod = podOf(objects(), 'Job', 'migrate') as ReturnType<typeof podOf> & { serviceAccountName: string };
    const needed = [
      ['ServiceAccount', pod.serviceAccountName],
      ...(pod.volumes ?? []).flatMap((v) =>
        v.configMap !== undefined ? [['ConfigMap', v.configMap.name]] : v.secret !== undefined ? [['Secret', v.secret.secretName]] : [],
      ),
    ];
    for (const [kind, name] of needed) {
      const rendered = objects().find((o) => o.kind === kind && o.metadata.name === name);
      // Staging and prod Secrets are created outside git; everything rendered must come along.
      if (rendered !== undefined || kind !== 'Secret') expect(selected, `${kind}/${name}`).toContain(rendered);
    }
    expect(selected.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual(['migrate']);
    expect(selected.filter((o) => ['Deployment', 'StatefulSet', 'Service'].includes(o.kind))).toEqual([]);
  });

  test('TLS: cert-manager certificates in staging and prod, mounted by the pods that serve them; none in dev', () => {
    const certificates = objects().filter((o) => o.kind === 'Certificate');
    if (overlay === 'dev') {
      expect(certificates).toEqual([]);
      return;
    }
    for (const name of ['orders', 'catalog']) {
      const cert = find(objects(), 'Certificate', `${name}-tls`).spec as {
        secretName: string;
        dnsNames: string[];
        issuerRef: { name: string; kind: string };
      };
      expect(cert.dnsNames).toEqual(expect.arrayContaining([name, `${name}.orderflow-${overlay}.svc`]));
      expect(find(objects(), cert.issuerRef.kind, cert.issuerRef.name)).toBeDefined();
      const pod = podOf(objects(), 'Deployment', name);
      const volume = pod.volumes?.find((v) => v.secret?.secretName === cert.secretName);
      expect(pod.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name)?.mountPath).toBe('/run/secrets/tls');
    }
  });
});

test('the schema check is not a formality: a wrong type, a missing required field or an unknown kind is rejected', () => {
  const deployment = structuredClone(find(renderOverlay('prod'), 'Deployment', 'orders'));
  const container = (deployment.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!;
  container.ports = [{ name: 'grpc', containerPort: 'grpc' }];
  expect(() => validateObject(deployment)).toThrow(/containerPort must be integer/);
  const monitor = structuredClone(find(renderOverlay('prod'), 'ServiceMonitor', 'orderflow'));
  delete monitor.spec?.selector;
  expect(() => validateObject(monitor)).toThrow(/selector/);
  expect(() => validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toThrow(/no schema/);
});

test('the overlays differ in what differs for real: replicas and sizes grow from dev to prod', () => {
  const min = (overlay: (typeof OVERLAYS)[number], name: string) =>
    (find(renderOverlay(overlay), 'HorizontalPodAutoscaler', name).spec as { minReplicas: number }).minReplicas;
  const memory = (overlay: (typeof OVERLAYS)[number]) =>
    (podOf(renderOverlay(overlay), 'Deployment', 'orders').containers[0] as Container).resources?.limits?.memory;
  expect(OVERLAYS.map((o) => min(o, 'orders'))).toEqual([1, 2, 3]);
  expect(OVERLAYS.map((o) => min(o, 'catalog'))).toEqual([1, 2, 3]);
  expect(OVERLAYS.map(memory)).toEqual(['384Mi', '512Mi', '1Gi']);
});
