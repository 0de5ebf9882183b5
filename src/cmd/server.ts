// Entry point: CONF_PATH=config/dev.yaml node dist/cmd/server.js (npm start builds if needed, then runs it).
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { ConfigError } from '../platform/config.js';
import { exitOnFatalErrors, onShutdownSignal } from '../platform/lifecycle.js';
import { PortInUseError } from '../platform/port-in-use.js';

const warnings: string[] = [];
let config;
try {
  config = loadConfig(undefined, undefined, (warning) => warnings.push(warning));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(warnings.map((w) => `orderflow: warning: ${w}\n`).join('') + `orderflow: ${error.message}\n`);
  process.exit(2);
}

const app = await createApp(config, {}, warnings).catch((error: unknown) => {
  process.stderr.write(`orderflow: ${error instanceof ConfigError ? error.message : `cannot start: ${error instanceof Error ? error.message : String(error)}`}
`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
exitOnFatalErrors(app.log);
const { drainDelayMs, timeoutMs, closeTimeoutMs } = config.shutdown;
onShutdownSignal(app, app.log, { hardLimitMs: drainDelayMs + timeoutMs + 2 * closeTimeoutMs + 1000 });
try {
  await app.start();
} catch (error) {
  // A taken port is a setting to change, not a crash: its one sentence says all there is.
  if (error instanceof PortInUseError) app.log.fatal(error.message);
  else app.log.fatal({ err: error }, 'cannot start');
  process.exit(await app.stop()); // 1 after a failed start: the code logged in "stopped" is the one returned
}
