// Forward-only SQL migrations from ./migrations (NNNN_name.sql), applied in one transaction
// under an advisory lock, so that replicas or a migration Job starting together apply each once.
import { readdir, readFile } from 'node:fs/promises';
import type { SqlDriver } from './sql-driver.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;
/** An arbitrary constant naming the migration lock (pg_advisory_xact_lock takes a bigint). */
const MIGRATION_LOCK = 7_140_001;

export async function migrationFiles(): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIR)).filter((f) => MIGRATION_FILE.test(f)).sort();
}

/** Applies pending migrations; resolves with the file names applied now (empty if none). */
export async function migrate(driver: SqlDriver): Promise<string[]> {
  const files = await migrationFiles();
  return driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await tx.query<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      await tx.exec(await readFile(new URL(file, MIGRATIONS_DIR), 'utf8'));
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
      applied.push(file);
    }
    return applied;
  });
}
