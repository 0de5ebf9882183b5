// An export encoding thread that dies like a crashed one (process.exit in the thread) on a page
// holding an order of customer 'crash-this-thread' while the file named by
// ORDERFLOW_TEST_CRASH_FLAG exists (removed as it crashes: one crash per flag); otherwise it
// answers as the real thread (export-encode-worker.ts) does.
import { existsSync, rmSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { encodeTask, type EncodeRequest } from '../../src/adapters/export-encode-task.js';

parentPort?.on('message', (request: EncodeRequest) => {
  const flag = process.env['ORDERFLOW_TEST_CRASH_FLAG'];
  if (flag !== undefined && existsSync(flag) && request.columns.strings.includes('crash-this-thread')) {
    rmSync(flag);
    process.exit(70);
  }
  const reply = encodeTask(request);
  parentPort?.postMessage(reply, reply.ok ? [reply.bytes.buffer as ArrayBuffer] : []);
});
