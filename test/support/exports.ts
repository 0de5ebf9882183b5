// Export helpers for tests: follow a job to its end, download (all, or part then resume), parse
// RFC 4180 CSV, and build the expected file straight from ListOrders.
import { createHash } from 'node:crypto';
import type { Metadata } from 'nice-grpc';
import { ExportJobStatus, type ExportJob } from '../../src/gen/orderflow/exports/v1/export_service.js';
import type { Order, OrderStatus } from '../../src/gen/orderflow/orders/v1/order_service.js';
import type { Clients } from './clients.js';

type Options = { metadata?: Metadata };

const FINAL = new Set([ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ExportJobStatus.EXPORT_JOB_STATUS_FAILED]);

/** Every state WatchExportJob sends, until it ends (after a final state). */
export async function watchToEnd(api: Clients, id: string, options: Options = {}): Promise<ExportJob[]> {
  const states: ExportJob[] = [];
  for await (const { job } of api.exports.watchExportJob({ id }, options)) if (job !== undefined) states.push(job);
  return states;
}

export const isFinalStatus = (status: ExportJobStatus) => FINAL.has(status);

/** The file from `offset`; with `stopAfterChunks`, the client cancels the stream after that many chunks. */
export async function download(api: Clients, id: string, options: Options & { offset?: bigint; stopAfterChunks?: number } = {}) {
  const controller = new AbortController();
  const chunks: { offset: bigint; data: Uint8Array }[] = [];
  try {
    for await (const chunk of api.exports.downloadExport(
      { id, offset: options.offset ?? 0n },
      { signal: controller.signal, ...(options.metadata === undefined ? {} : { metadata: options.metadata }) },
    )) {
      chunks.push(chunk);
      if (options.stopAfterChunks !== undefined && chunks.length >= options.stopAfterChunks) controller.abort();
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return { chunks, data: Buffer.concat(chunks.map((c) => c.data)) };
}

export const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** RFC 4180: rows of fields; quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) throw new Error('CSV does not end with CRLF');
  return rows;
}

/** Every order ListOrders returns for the filter, newest first (as the export writes them). */
export async function listAll(api: Clients, filter: { customerId: string; status: OrderStatus }, options: Options = {}): Promise<Order[]> {
  const all: Order[] = [];
  let pageToken = '';
  do {
    const page = await api.orders.listOrders({ ...filter, pageSize: 500, pageToken }, options);
    all.push(...page.orders);
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return all;
}

/** The CSV row the export writes for an order, from its ListOrders form. */
export function expectedCsvRow(order: Order, statusName: string): string[] {
  const iso = (t: { seconds: bigint; nanos: number } | undefined) => new Date(Number(t!.seconds) * 1000 + t!.nanos / 1e6).toISOString();
  return [
    order.id,
    order.customerId,
    statusName,
    order.version.toString(),
    order.total!.currencyCode,
    order.total!.amountMinor.toString(),
    String(order.items.length),
    order.items.map((i) => `${i.productId}*${i.quantity}@${i.unitPrice!.amountMinor}`).join(';'),
    iso(order.createTime),
    iso(order.updateTime),
  ];
}
