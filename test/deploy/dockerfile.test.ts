// deploy/Dockerfile and .dockerignore, read without Docker: the properties the image promises
// (multi-stage, Node.js 24 slim, production dependencies only, no compilers, non-root, read-only
// root filesystem with declared volumes, CONF_PATH, exec-form node entry point, OCI labels, the
// ports of the config) and a build context that holds what the build copies and nothing private.
// runtime-image.test.ts rebuilds the runtime file set and starts the entry points from it.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { configSchema } from '../../src/config.js';
import { all, dockerignored, execForm, parseCopy, parseDockerfile, stage } from './parse-dockerfile.js';
import { ROOT } from './render-overlay.js';

const stages = parseDockerfile(readFileSync(`${ROOT}deploy/Dockerfile`, 'utf8'));
const runtime = stage(stages, 'runtime');
const ignore = readFileSync(`${ROOT}.dockerignore`, 'utf8');
const env = Object.fromEntries(all(runtime, 'ENV').flatMap((a) => a.split(' ').map((kv) => kv.split('=') as [string, string])));

describe('stages', () => {
  test('build, deps and runtime, all on Node.js 24 slim with a pinned tag; runtime is the last (the default target)', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    for (const s of stages) expect(s.image).toBe('node:24-bookworm-slim');
  });

  test('build: npm ci with every dependency, then npm run build (tsc and the asset copy)', () => {
    const runs = all(stage(stages, 'build'), 'RUN');
    expect(runs.some((r) => /npm ci\b(?!.*--omit)/.test(r))).toBe(true);
    expect(runs.at(-1)).toBe('npm run build');
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { build: string } };
    expect(pkg.scripts.build).toContain('node scripts/copy-assets.js');
    const copied = all(stage(stages, 'build'), 'COPY').flatMap((c) => parseCopy(c).sources);
    expect(copied).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        'tsconfig.build.json',
        'scripts/copy-assets.js',
        'src/',
      ]),
    );
  });

  test('deps: production dependencies only, no install scripts; nothing compiles anything', () => {
    expect(all(stage(stages, 'deps'), 'RUN').join('\n')).toMatch(/npm ci --omit=dev .*--ignore-scripts/);
    const everyRun = stages.flatMap((s) => all(s, 'RUN')).join('\n');
    expect(everyRun).not.toMatch(/apt-get|apk add|build-essential|gcc|g\+\+|make |python/);
  });
});

describe('runtime', () => {
  test('copies node_modules from deps, dist from build and package.json, nothing else', () => {
    expect(all(runtime, 'COPY').map(parseCopy)).toEqual([
      { from: 'deps', sources: ['/app/node_modules'], destination: './node_modules' },
      { from: 'build', sources: ['/app/dist'], destination: './dist' },
      { sources: ['package.json'], destination: './' },
    ]);
    expect(all(runtime, 'WORKDIR')).toEqual(['/app']);
  });

  test('drops npm; runs as a numeric non-root user; node is PID 1 in exec form; the server is the default command', () => {
    expect(all(runtime, 'RUN').join('\n')).toMatch(/rm -rf \/usr\/local\/lib\/node_modules\/npm /);
    const [user] = all(runtime, 'USER');
    expect(user).toMatch(/^\d+:\d+$/);
    expect(Number(user!.split(':')[0])).toBeGreaterThan(0);
    expect(execForm(all(runtime, 'ENTRYPOINT')[0] ?? '')).toEqual(['node']);
    expect(execForm(all(runtime, 'CMD')[0] ?? '')).toEqual(['dist/cmd/server.js']);
    expect(all(runtime, 'ENTRYPOINT').join(' ')).not.toMatch(/npm|sh -c/);
  });

  test('read-only root filesystem friendly: the data and temp directories are volumes, TMPDIR points at one', () => {
    expect(execForm(all(runtime, 'VOLUME')[0] ?? '')).toEqual(['/var/lib/orderflow', '/tmp']);
    expect(env).toMatchObject({ NODE_ENV: 'production', TMPDIR: '/tmp', CONF_PATH: '/etc/orderflow/config.yaml' });
    expect(all(runtime, 'RUN').join('\n')).toContain('chown 1000:1000 /var/lib/orderflow');
  });

  test('exposes the default gRPC and admin ports of the config schema', () => {
    const defaults = configSchema.parse({ env: 'dev' });
    expect(all(runtime, 'EXPOSE').join(' ').split(' ').map(Number)).toEqual([defaults.grpc.port, defaults.admin.port]);
  });

  test('carries the OCI labels', () => {
    const labels = all(runtime, 'LABEL').join(' ');
    for (const key of ['title', 'description', 'version', 'revision', 'created', 'licenses', 'base.name'])
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
  });
});

describe('.dockerignore', () => {
  test('lets in every file the Dockerfile copies from the context', () => {
    const sources = stages
      .flatMap((s) => all(s, 'COPY').map(parseCopy))
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    for (const source of sources) expect(dockerignored(ignore, source), source).toBe(false);
    for (const file of ['src/app.ts', 'src/gen/orderflow.binpb', 'src/adapters/postgres/migrations/0001_orders.sql'])
      expect(dockerignored(ignore, file), file).toBe(false);
  });

  test('keeps local state, secrets and build output out of the context', () => {
    const kept = [
      'node_modules/pg/package.json',
      'dist/app.js',
      '.git/config',
      'data/dev/PG_VERSION',
      'certs/dev/ca.key',
      '.orderflow/token',
      'config/dev-secrets/jwt-hs256.key',
      'deploy/compose/secrets/postgres-password',
      'deploy/k8s/overlays/dev/secrets/postgres-password',
      'src/config.test.ts',
      'test/e2e/tls.test.ts',
      '.env',
    ];
    for (const path of kept) expect(dockerignored(ignore, path), path).toBe(true);
  });
});
