// Copies the non-TypeScript files the compiled code reads at run time (SQL migrations, the
// reflection descriptor set) from src/ to dist/, keeping their relative paths.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ASSET = /\.(sql|binpb)$/;

function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (ASSET.test(name)) cpSync(path, join('dist', relative('src', path)));
  }
}

copyAssets('src');
