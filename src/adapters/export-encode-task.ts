// What an export encoding thread does with one message (export-encode-worker.ts is the thread's
// entry; export-encode-pool.ts the sender): rebuild the page of orders from its columns and run
// the same encoders as the event loop. Stateless: any thread can take any page, and a crashed
// thread loses one page only.
import type { ExportFormat } from '../domain/exports/export-job.js';
import { encodePageBytes } from './export-encoders.js';
import { fromColumns, type OrderColumns } from './order-columns.js';

export type EncodeRequest = Readonly<{ id: number; format: ExportFormat; columns: OrderColumns }>;
export type EncodeReply = Readonly<{ id: number; ok: true; bytes: Uint8Array } | { id: number; ok: false; message: string }>;

export function encodeTask(request: EncodeRequest): EncodeReply {
  try {
    return { id: request.id, ok: true, bytes: encodePageBytes(request.format, fromColumns(request.columns)) };
  } catch (error) {
    return { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
