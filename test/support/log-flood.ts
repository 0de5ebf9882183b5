// A child process for test/e2e/log-flush.test.ts: the production logger (JSON, asynchronous
// destination, lines written in batches) writes `LINES` lines as fast as it can and then the
// process ends the way it does in production — an uncaught exception (exitOnFatalErrors), a plain
// exit, or running out of work — or lingers, so the test can count what reached stdout.
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
else if (ending === 'exit') process.exit(0);
else if (ending === 'linger') setTimeout(() => process.exit(0), 60_000); // the test kills it first
// 'drain': nothing left to do, the process ends by itself
