// `npm start` builds only when dist/ is not what the sources build, and refuses a missing
// CONF_PATH before building. Run on a one-file project that uses the repository's own scripts and
// build command (real tsc), so that each build takes a second, not the whole service's.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';

const repo = resolve(import.meta.dirname, '../..');
let project: string;

function makeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-build-'));
  const build = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: { build: string } }).scripts.build;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'build-test', type: 'module', private: true, scripts: { build } }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: [] } }),
  );
  writeFileSync(
    join(dir, 'tsconfig.build.json'),
    JSON.stringify({
      extends: './tsconfig.json',
      compilerOptions: { noEmit: false, rootDir: 'src', outDir: 'dist' },
      include: ['src'],
      exclude: ['src/**/*.test.ts'],
    }),
  );
  mkdirSync(join(dir, 'src/cmd'), { recursive: true });
  mkdirSync(join(dir, 'scripts'));
  writeFileSync(join(dir, 'src/cmd/hello.ts'), "console.log('v1');\n");
  writeFileSync(join(dir, 'src/schema.sql'), 'SELECT 1;\n');
  for (const script of ['build-if-stale.js', 'build-stamp.js', 'copy-assets.js'])
    copyFileSync(join(repo, 'scripts', script), join(dir, 'scripts', script));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** What `npm start` runs before node dist/…: the check, and the build when needed. */
function buildIfStale(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ['scripts/build-if-stale.js', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { code: run.status, stderr: run.stderr };
}

const hello = (dir: string) => spawnSync(process.execPath, ['dist/cmd/hello.js'], { cwd: dir, encoding: 'utf8' }).stdout;

/** The decision alone, without building: why dist/ is stale, or "fresh". */
const staleness = (dir: string) =>
  spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "console.log((await import('./scripts/build-stamp.js')).staleReason() ?? 'fresh')"],
    { cwd: dir, encoding: 'utf8' },
  ).stdout.trim();

beforeAll(() => {
  project = makeProject();
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

// Three real builds in all: each is seconds of tsc on a busy machine.
test(
  'builds the first time, then only when a source, an asset or dist/ itself changed, whatever the modification times',
  { timeout: 300_000 },
  () => {
    expect(buildIfStale(project)).toEqual({ code: 0, stderr: 'orderflow: building dist/ (no build yet)\n' });
    expect(hello(project)).toBe('v1\n');
    expect(readFileSync(join(project, 'dist/schema.sql'), 'utf8')).toBe('SELECT 1;\n');
    const built = statSync(join(project, 'dist/cmd/hello.js')).mtimeMs;

    expect(buildIfStale(project)).toEqual({ code: 0, stderr: '' });
    writeFileSync(join(project, 'src/cmd/hello.test.ts'), "console.log('tests are not built');\n");
    expect(buildIfStale(project)).toEqual({ code: 0, stderr: '' });
    expect(statSync(join(project, 'dist/cmd/hello.js')).mtimeMs).toBe(built);

    const asset = join(project, 'src/schema.sql');
    writeFileSync(asset, 'SELECT 2;\n');
    expect(staleness(project)).toBe('the sources changed since the last build');
    writeFileSync(asset, 'SELECT 1;\n'); // back to what was built: content decides, not times
    expect(staleness(project)).toBe('fresh');

    const output = join(project, 'dist/cmd/hello.js');
    const compiled = readFileSync(output);
    rmSync(output);
    expect(staleness(project)).toBe('dist/ changed since the last build');
    writeFileSync(output, compiled);
    expect(staleness(project)).toBe('fresh');

    // A changed file that looks older than the build (a copy or checkout that kept old times).
    const source = join(project, 'src/cmd/hello.ts');
    const old = statSync(source);
    writeFileSync(source, "console.log('v2');\n");
    utimesSync(source, old.atime, new Date(old.mtimeMs - 3_600_000));
    expect(buildIfStale(project)).toEqual({ code: 0, stderr: 'orderflow: building dist/ (the sources changed since the last build)\n' });
    expect(hello(project)).toBe('v2\n');
    expect(buildIfStale(project)).toEqual({ code: 0, stderr: '' });

    // A failed build leaves no stamp for what it failed on: the start fails, and the next one tries again.
    writeFileSync(source, 'const n: number = "not a number";\nconsole.log(n);\n');
    expect(buildIfStale(project).code).not.toBe(0);
    expect(staleness(project)).toBe('the sources changed since the last build');
  },
);

test('a missing or unreadable CONF_PATH is refused before any build, as the server words it, with exit code 2', () => {
  const fresh = makeProject();
  try {
    const serverSays = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return `orderflow: ${(error as Error).message}\n`;
      }
      throw new Error('expected a ConfigError');
    };
    expect(buildIfStale(fresh, ['--conf-path'])).toEqual({ code: 2, stderr: serverSays({}) });
    expect(buildIfStale(fresh, ['--conf-path'], { CONF_PATH: '/nonexistent/orderflow.yaml' })).toEqual({
      code: 2,
      stderr: serverSays({ CONF_PATH: '/nonexistent/orderflow.yaml' }),
    });
    expect(existsSync(join(fresh, 'dist'))).toBe(false);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
