// Run by `npm start` and `npm run migrate` before node dist/…: refuses at once when CONF_PATH is
// missing (with the server's own message and exit code 2, not after a build), then builds only
// when dist/ is not what the current sources build (scripts/build-stamp.js).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT, staleReason } from './build-stamp.js';

/** The same sentences as src/platform/config.ts, so that npm start and node dist/… say the same. */
function confPathProblem(path) {
  if (path === undefined || path.trim() === '')
    return 'CONF_PATH is not set: point it at a YAML config file, for example CONF_PATH=config/dev.yaml';
  try {
    readFileSync(path, 'utf8');
    return undefined;
  } catch (error) {
    return `cannot read the config file CONF_PATH=${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`;
  }
}

if (process.argv.includes('--conf-path')) {
  const problem = confPathProblem(process.env.CONF_PATH);
  if (problem !== undefined) {
    process.stderr.write(`orderflow: ${problem}\n`);
    process.exit(2);
  }
}

const reason = staleReason();
if (reason !== undefined) {
  process.stderr.write(`orderflow: building dist/ (${reason})\n`);
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  process.exit(build.status ?? 1);
}
