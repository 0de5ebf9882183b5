// ExportJobSignal on the in-memory store (one process: the store feeds the signal itself) and the
// plain poll. The SQL-backed signal runs the same contract in test/integration/export-job-signal.test.ts.
import { MemoryExportJobStore } from '../../src/adapters/memory/memory-export-job-store.js';
import { NotifiedExportJobSignal } from '../../src/adapters/notified-export-job-signal.js';
import { exportJobSignalContract } from './export-job-signal.contract.js';

exportJobSignalContract('in-memory store feeding NotifiedExportJobSignal', (fallbackMs) => {
  const writer = new MemoryExportJobStore();
  const signal = new NotifiedExportJobSignal(fallbackMs);
  writer.onChange((id) => signal.notify(id));
  return Promise.resolve({ signal, writer });
});
