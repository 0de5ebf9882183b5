// A migrated PGlite data directory, made once per migration set and copied per test: creating a
// PGlite database takes seconds, copying a directory milliseconds.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPgliteDriver } from '../../src/adapters/postgres/pglite-driver.js';
import { migrate, migrationFiles } from '../../src/adapters/postgres/migrator.js';

const MIGRATIONS = new URL('../../src/adapters/postgres/migrations/', import.meta.url);

async function templateDir(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await migrationFiles()) hash.update(file).update(readFileSync(new URL(file, MIGRATIONS)));
  return join(tmpdir(), `orderflow-pglite-template-${hash.digest('hex').slice(0, 16)}`);
}

/** Creates the template if it does not exist yet (called from vitest's global setup). */
export async function ensureEmbeddedTemplate(): Promise<string> {
  const dir = await templateDir();
  if (existsSync(dir)) return dir;
  const building = mkdtempSync(join(tmpdir(), 'orderflow-pglite-building-'));
  const driver = await openPgliteDriver(building);
  await migrate(driver);
  await driver.close();
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another run made it first
  }
  return dir;
}

/** A fresh, migrated data directory for one test; remove it with the returned cleanup. */
export async function freshEmbeddedDataDir(): Promise<{ dataDir: string; cleanup: () => void }> {
  const template = await ensureEmbeddedTemplate();
  const parent = mkdtempSync(join(tmpdir(), 'orderflow-test-'));
  const dataDir = join(parent, 'data');
  cpSync(template, dataDir, { recursive: true });
  return { dataDir, cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}
