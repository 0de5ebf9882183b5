import type { ExportJobStore, OrderEventLog, OrderRepository, ProductRepository } from '../domain/ports.js';

/** What every store (in-memory, PGlite, PostgreSQL) opens to: its repositories and lifecycle. */
export type Store = Readonly<{
  products: ProductRepository;
  orders: OrderRepository;
  events: OrderEventLog;
  exports: ExportJobStore;
  /** Resolves when the store answers a trivial query; used by readiness checks. */
  ping(): Promise<void>;
  /** Connection-pool figures for metrics; absent for stores without connections. */
  connections?(): Readonly<{ inUse: number; idle: number; waiting: number }>;
  close(): Promise<void>;
}>;

/** Called after a transaction that appended events has committed, with the last sequence. */
export type EventsCommitted = (lastSequence: bigint) => void;
