// Entry point: CONF_PATH=config/dev.yaml node dist/cmd/server.js (npm start builds if needed, then runs it).
import { createApp } from '../app.js';
import { exitOnFatalErrors, onShutdownSignal } from '../platform/lifecycle.js';
import { PortInUseError } from '../platform/port-in-use.js';
import { exitCannotStart, loadConfigOrExit } from '../wiring/entry-point.js';

const { config, warnings } = loadConfigOrExit('orderflow');
const app = await createApp(config, {}, warnings).catch((error: unknown) => exitCannotStart('orderflow', error));
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
