// What every entry point (server, migrate, worker) does first: load the configuration named by
// CONF_PATH, or print why it cannot (every offending key) and exit 2.
import { type Config, loadConfig } from '../config.js';
import { ConfigError } from '../platform/config.js';

/** The configuration and what the loader ignored (to be logged); exits 2 on a configuration error. */
export function loadConfigOrExit(program: string): { config: Config; warnings: string[] } {
  const warnings: string[] = [];
  try {
    return { config: loadConfig(undefined, undefined, (warning) => warnings.push(warning)), warnings };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(warnings.map((w) => `${program}: warning: ${w}\n`).join('') + `${program}: ${error.message}\n`);
    process.exit(2);
  }
}

/** One line for a failure to start: a configuration error exits 2, anything else 1. */
export function exitCannotStart(program: string, error: unknown): never {
  const detail = error instanceof ConfigError ? error.message : `cannot start: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${program}: ${detail}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
