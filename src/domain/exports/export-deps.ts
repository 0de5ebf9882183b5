// What the export use cases are built from: ports, the clock and ids, and the settings of a run.
import type { Clock, ExportJobSignal, ExportJobStore, IdGenerator, OrderPageEncoder, OrderRepository, Sha256 } from '../ports.js';

export type ExportSettings = Readonly<{
  /** Orders read per keyset page while writing a file. */
  pageSize: number;
  /** Progress is stored at most this often (ms). */
  progressIntervalMs: number;
  /** Attempts in all; the last one's failure makes the job FAILED. */
  maxAttempts: number;
}>;

export type ExportDeps = Readonly<{
  jobs: ExportJobStore;
  orders: OrderRepository;
  encoders: OrderPageEncoder;
  sha256: Sha256;
  changes: ExportJobSignal;
  now: Clock;
  newId: IdGenerator;
  settings: ExportSettings;
  /** Told after a new job is committed (the dispatcher hands it to the queue at once). */
  onCreated?: (jobId: string) => void;
}>;
