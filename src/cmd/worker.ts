// Entry point: CONF_PATH=config/prod.yaml node dist/cmd/worker.js (npm run worker). Runs export
// jobs from the BullMQ queue; the same config file as the server, its own admin port.
import { exitOnFatalErrors, onShutdownSignal } from '../platform/lifecycle.js';
import { PortInUseError } from '../platform/port-in-use.js';
import { exitCannotStart, loadConfigOrExit } from '../wiring/entry-point.js';
import { createWorker } from '../wiring/worker.js';

const { config, warnings } = loadConfigOrExit('orderflow worker');
const worker = await createWorker(config, { configWarnings: warnings }).catch((error: unknown) =>
  exitCannotStart('orderflow worker', error),
);
exitOnFatalErrors(worker.log);
const { timeoutMs, closeTimeoutMs } = config.shutdown;
onShutdownSignal(worker, worker.log, { hardLimitMs: timeoutMs + 2 * closeTimeoutMs + 1000 });
try {
  await worker.start();
} catch (error) {
  if (error instanceof PortInUseError) worker.log.fatal(error.message);
  else worker.log.fatal({ err: error }, 'cannot start');
  process.exit(await worker.stop());
}
