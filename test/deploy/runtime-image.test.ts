// The image's runtime file set, rebuilt without Docker as deploy/Dockerfile's runtime stage
// assembles it: dist/ from `npm run build`, package.json, and node_modules from
// `npm ci --omit=dev` (the deps stage's own command) on package.json + package-lock.json alone,
// in a directory outside the repository (so nothing resolves through its node_modules). The
// entry points are then started from it with the runtime's own arguments: a dependency used at
// run time but listed in devDependencies fails here. The install is cached per lockfile.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect } from '../support/clients.js';
import { freshEmbeddedDataDir } from '../support/embedded-template.js';
import { deleteByPrefix, REDIS, uniquePrefix } from '../support/redis.js';
import { POSTGRES, postgresAdmin, serviceAvailable } from '../support/required-services.js';
import { all, execForm, parseCopy, parseDockerfile, stage } from './parse-dockerfile.js';
import { ROOT } from './render-overlay.js';

const stages = parseDockerfile(readFileSync(`${ROOT}deploy/Dockerfile`, 'utf8'));
const runtime = stage(stages, 'runtime');
const ENTRYPOINT = execForm(all(runtime, 'ENTRYPOINT')[0]!)!;
const CMD = execForm(all(runtime, 'CMD')[0]!)!;

/** The deps stage's npm ci, without BuildKit's --mount flag. */
const depsInstall = all(stage(stages, 'deps'), 'RUN')
  .map((r) => r.replace(/--mount=\S+ /g, ''))
  .find((r) => r.startsWith('npm ci'))!
  .split(' ');

let runDir: string;
let embedded: { dataDir: string; cleanup: () => void };

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** dist/ is what `npm run build` (the build stage) makes of src/; rebuilt when older than a source. */
function ensureBuilt(): void {
  const sources = walk(`${ROOT}src`).filter((f) => /\.(ts|sql|binpb)$/.test(f) && !f.endsWith('.test.ts'));
  const stale = sources.some((file) => {
    const built = join(ROOT, 'dist', relative(`${ROOT}src`, file)).replace(/\.ts$/, '.js');
    return !existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs;
  });
  if (!stale) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  expect(build.status, `npm run build: ${build.stderr}`).toBe(0);
}

/** node_modules as the deps stage installs it, cached in the temp directory per lockfile. */
function productionDependencies(): string {
  const hash = createHash('sha256')
    .update(ROOT)
    .update(readFileSync(`${ROOT}package.json`))
    .update(readFileSync(`${ROOT}package-lock.json`))
    .digest('hex')
    .slice(0, 16);
  const cache = join(tmpdir(), `orderflow-runtime-deps-${hash}`);
  if (existsSync(join(cache, 'node_modules'))) return join(cache, 'node_modules');
  const building = mkdtempSync(join(tmpdir(), 'orderflow-runtime-deps-building-'));
  for (const file of ['package.json', 'package-lock.json']) cpSync(`${ROOT}${file}`, join(building, file));
  const install = spawnSync(depsInstall[0]!, depsInstall.slice(1), { cwd: building, encoding: 'utf8', timeout: 300_000 });
  expect(install.status, `${depsInstall.join(' ')}: ${install.stderr}`).toBe(0);
  try {
    renameSync(building, cache);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another run made it first
  }
  return join(cache, 'node_modules');
}

beforeAll(async () => {
  ensureBuilt();
  const nodeModules = productionDependencies();
  runDir = mkdtempSync(join(tmpdir(), 'orderflow-runtime-'));
  // The runtime stage's COPY instructions, applied to this directory (its WORKDIR).
  for (const { from, sources, destination } of all(runtime, 'COPY').map(parseCopy)) {
    for (const source of sources) {
      const target = join(runDir, destination, destination.endsWith('/') ? source.split('/').at(-1)! : '');
      if (from === 'deps' && source === '/app/node_modules') symlinkSync(nodeModules, target);
      else if (from === 'build' && source.startsWith('/app/'))
        cpSync(join(ROOT, source.slice('/app/'.length)), target, { recursive: true });
      else if (from === undefined) cpSync(join(ROOT, source), target, { recursive: true });
      else throw new Error(`COPY --from=${from} ${source}: the test does not know what that stage makes`);
    }
  }
  embedded = await freshEmbeddedDataDir();
}, 360_000);

afterAll(() => {
  rmSync(runDir, { recursive: true, force: true });
  embedded?.cleanup();
});

type Started = { child: ChildProcess; lines: Record<string, unknown>[]; exited: Promise<number | null>; output: () => string };

/** Starts `node <args>` in the runtime directory with CONF_PATH at `config`, as the container does. */
function start(args: string[], config: Record<string, unknown>): Started {
  const confPath = join(runDir, `config-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(confPath, stringify(config));
  // Only what the image's ENV sets, plus PATH.
  const child = spawn(ENTRYPOINT[0]!, [...ENTRYPOINT.slice(1), ...args], {
    cwd: runDir,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', TMPDIR: tmpdir(), CONF_PATH: confPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let text = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    text += `${line}\n`;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: line });
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exited, output: () => text };
}

async function waitForLine(started: Started, msg: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const found = started.lines.find((l) => l.msg === msg);
    if (found !== undefined) return found;
    if (started.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no "${msg}" line; output:\n${started.output()}`);
}

test('the runtime set has the production dependencies and none of the development ones', () => {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { dependencies: Record<string, string> };
  for (const name of Object.keys(pkg.dependencies)) expect(existsSync(join(runDir, 'node_modules', name, 'package.json')), name).toBe(true);
  // The lockfile marks what only development needs (dev: true): none of it is installed.
  const lock = JSON.parse(readFileSync(`${ROOT}package-lock.json`, 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const devOnly = Object.entries(lock.packages).filter(([path, p]) => path.startsWith('node_modules/') && p.dev === true);
  expect(devOnly.length).toBeGreaterThan(100);
  for (const [path] of devOnly) expect(existsSync(join(runDir, path)), path).toBe(false);
  for (const asset of [
    'dist/gen/orderflow.binpb',
    'dist/adapters/postgres/migrations/0001_orders.sql',
    'dist/adapters/postgres/migrations/0002_exports.sql',
    'dist/cmd/server.js',
    'dist/cmd/migrate.js',
    'dist/cmd/worker.js',
    'package.json',
  ]) {
    expect(existsSync(join(runDir, asset)), asset).toBe(true);
  }
  // Nothing above the run directory could supply a missing package.
  for (let dir = dirname(runDir); dir !== dirname(dir); dir = dirname(dir)) expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
});

describe('the server, from the runtime set', () => {
  test('starts on the embedded store with reflection and token auth, passes the compose healthcheck, and stops cleanly on SIGTERM', async () => {
    const keyFile = join(runDir, 'jwt.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'));
    const server = start(CMD, {
      env: 'dev',
      grpc: { host: '127.0.0.1', port: 0, reflection: true, tls: { enabled: false } },
      admin: { host: '127.0.0.1', port: 0 },
      log: { level: 'info', format: 'json' },
      store: { kind: 'embedded', dataDir: embedded.dataDir },
      auth: { jwt: { issuer: 'i', audience: 'a', algorithms: ['HS256'], hs256Secret: { fromFile: keyFile } } },
      shutdown: { timeoutMs: 5000, drainDelayMs: 0, closeTimeoutMs: 2000 },
    });
    try {
      const serving = await waitForLine(server, 'serving');
      const client = connect(serving.grpc as string);
      try {
        expect((await client.health.check({ service: '' })).status).toBe(1); // SERVING
      } finally {
        client.close();
      }
      // The healthcheck docker-compose runs in the container, against this server's admin port.
      const compose = parseYaml(readFileSync(`${ROOT}deploy/docker-compose.yml`, 'utf8')) as {
        'x-orderflow': { healthcheck: { test: string[] } };
      };
      const [kind, command, ...args] = compose['x-orderflow'].healthcheck.test;
      expect([kind, command]).toEqual(['CMD', 'node']);
      const check = spawnSync(
        command!,
        args.map((a) => a.replace('127.0.0.1:9464', serving.admin as string)),
        { encoding: 'utf8', timeout: 10_000 },
      );
      expect(check.status, check.stderr).toBe(0);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});

describe('migrate, from the runtime set, on a real PostgreSQL', () => {
  const database = `t_runtime_${randomBytes(4).toString('hex')}`;
  let available = false;
  beforeAll(async () => {
    available = await serviceAvailable('PostgreSQL', POSTGRES.host, POSTGRES.port);
    if (available) await postgresAdmin(`CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    if (available) await postgresAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  test('applies the migrations, then finds the schema up to date (pretty logs: pino-pretty at run time)', async (context) => {
    if (!available) context.skip();
    const config = {
      env: 'dev',
      log: { format: 'pretty' },
      store: { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database },
      grpc: { tls: { enabled: false } },
      auth: { enabled: false },
    };
    const first = start(['dist/cmd/migrate.js'], config);
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).toContain('migrations applied');
    const second = start(['dist/cmd/migrate.js'], config);
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toContain('schema is up to date');
  });

  test('the worker starts on it with BullMQ on a real Redis, passes the compose healthcheck, and stops cleanly on SIGTERM', async (context) => {
    if (!available || !(await serviceAvailable('Redis', REDIS.host, REDIS.port))) context.skip();
    const prefix = uniquePrefix('runtime-worker');
    const store = { kind: 'postgres', host: POSTGRES.host, port: POSTGRES.port, user: POSTGRES.user, database, migrate: true };
    const worker = start(['dist/cmd/worker.js'], {
      env: 'dev',
      admin: { host: '127.0.0.1', port: 0 },
      log: { level: 'info', format: 'json' },
      store,
      exports: { queue: { kind: 'bullmq', host: REDIS.host, port: REDIS.port, prefix } },
      grpc: { tls: { enabled: false } },
      auth: { enabled: false },
      shutdown: { timeoutMs: 5000, drainDelayMs: 0, closeTimeoutMs: 2000 },
    });
    try {
      const ready = await waitForLine(worker, 'worker taking export jobs');
      const compose = parseYaml(readFileSync(`${ROOT}deploy/docker-compose.yml`, 'utf8')) as {
        'x-orderflow': { healthcheck: { test: string[] } };
      };
      const [, command, ...args] = compose['x-orderflow'].healthcheck.test;
      const check = spawnSync(
        command!,
        args.map((a) => a.replace('127.0.0.1:9464', ready.admin as string)),
        { encoding: 'utf8', timeout: 10_000 },
      );
      expect(check.status, check.stderr).toBe(0);
      worker.child.kill('SIGTERM');
      expect(await worker.exited, worker.output()).toBe(0);
    } finally {
      worker.child.kill('SIGKILL');
      await deleteByPrefix(prefix);
    }
  });
});

test('a missing config is a configuration error (exit code 2), as when the ConfigMap is not mounted', async () => {
  const child = spawn(ENTRYPOINT[0]!, [...ENTRYPOINT.slice(1), ...CMD], {
    cwd: runDir,
    env: { PATH: process.env.PATH ?? '', CONF_PATH: join(runDir, 'nothing-here.yaml') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(2);
  expect(stderr).toContain('no such file');
});
