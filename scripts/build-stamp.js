// What dist/ was built from: a SHA-256 of every build input (content, not modification times,
// which copies and checkouts do not keep in order) and of dist/ itself as the build left it. The
// build writes it (`node scripts/build-stamp.js write`); `npm start` rebuilds only when either
// hash differs (scripts/build-if-stale.js).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(ROOT, 'dist', '.build-stamp.json');

/** Sources and assets under src/ (tests are not built: tsconfig.build.json excludes them), proto/, and what drives the build. */
const INPUT_DIRS = ['src', 'proto'];
const INPUT_FILES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/copy-assets.js',
  'scripts/build-stamp.js',
];
const isInput = (path) => !path.endsWith('.test.ts');

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function hashFiles(paths) {
  const hash = createHash('sha256');
  for (const path of [...paths].sort()) {
    hash.update(`${relative(ROOT, path)}\0`);
    hash.update(readFileSync(path));
    hash.update('\0');
  }
  return hash.digest('hex');
}

export function inputsHash() {
  const files = [
    ...INPUT_DIRS.flatMap((dir) => filesUnder(join(ROOT, dir))),
    ...INPUT_FILES.map((file) => join(ROOT, file)).filter((path) => existsSync(path)),
  ];
  return hashFiles(files.filter(isInput));
}

export function outputsHash() {
  return hashFiles(filesUnder(join(ROOT, 'dist')).filter((path) => path !== STAMP));
}

export function writeStamp() {
  writeFileSync(STAMP, `${JSON.stringify({ inputs: inputsHash(), outputs: outputsHash() }, null, 2)}\n`);
}

/** Why dist/ must be rebuilt, or undefined when it is what the current inputs build. */
export function staleReason() {
  if (!existsSync(STAMP)) return 'no build yet';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return 'the build stamp is unreadable';
  }
  if (stamp.inputs !== inputsHash()) return 'the sources changed since the last build';
  if (stamp.outputs !== outputsHash()) return 'dist/ changed since the last build';
  return undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'write') writeStamp();
