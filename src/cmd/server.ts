// Entry point: CONF_PATH=config/dev.yaml node dist/cmd/server.js (npm start builds, then runs it).
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { ConfigError } from '../platform/config.js';
import { exitOnFatalErrors, onShutdownSignal } from '../platform/lifecycle.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`orderflow: ${error.message}\n`);
  process.exit(2);
}

const app = await createApp(config).catch((error: unknown) => {
  process.stderr.write(`orderflow: ${error instanceof ConfigError ? error.message : `cannot start: ${error instanceof Error ? error.message : String(error)}`}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
exitOnFatalErrors(app.log);
const { drainDelayMs, timeoutMs, closeTimeoutMs } = config.shutdown;
onShutdownSignal(app, app.log, { hardLimitMs: drainDelayMs + timeoutMs + 2 * closeTimeoutMs + 1000 });
try {
  await app.start();
} catch (error) {
  app.log.fatal({ err: error }, 'cannot start');
  await app.stop();
  process.exit(1);
}
