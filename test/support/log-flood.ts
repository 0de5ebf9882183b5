// A child process for test/e2e/log-flush.test.ts: the production logger (JSON, asynchronous
// destination) writes `LINES` lines as fast as it can and then the process dies the way it does
// in production — an uncaught exception (exitOnFatalErrors) or a plain exit — so the test can
// count what reached stdout.
import { createLogger } from '../../src/platform/logger.js';
import { exitOnFatalErrors } from '../../src/platform/lifecycle.js';

const lines = Number(process.env.LINES ?? '1000');
const ending = process.env.ENDING ?? 'throw';
const log = createLogger({ level: 'info', format: 'json' }, { app: 'log-flood' });
exitOnFatalErrors(log);
for (let i = 0; i < lines; i++) log.info({ i, padding: 'x'.repeat(200) }, 'flood');
if (ending === 'throw')
  setImmediate(() => {
    throw new Error('boom after the flood');
  });
else process.exit(0);
