import type { ExportJobStore, OrderEventLog, OrderRepository, ProductRepository } from '../domain/ports.js';
import type { Listen } from './postgres/sql-driver.js';

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
  /** LISTEN/NOTIFY on the store's database (SQL stores): how other processes' commits are heard. */
  listen?: Listen;
  /** In-process feed of export job changes (the in-memory store, which has no LISTEN): the id of each changed job. */
  onExportJobChanged?(listener: (id: string) => void): () => void;
  close(): Promise<void>;
}>;

/** Called after a transaction that appended events has committed, with the last sequence. */
export type EventsCommitted = (lastSequence: bigint) => void;
