// The entry of an export encoding thread (export-encode-pool.ts starts it): answers each page
// (export-encode-task.ts) and hands the bytes back by transfer, not by copy.
import { parentPort } from 'node:worker_threads';
import { encodeTask, type EncodeRequest } from './export-encode-task.js';

parentPort?.on('message', (request: EncodeRequest) => {
  const reply = encodeTask(request);
  parentPort?.postMessage(reply, reply.ok ? [reply.bytes.buffer as ArrayBuffer] : []);
});
