// `orderflow exports create|get|watch|download`: the export service. watch draws a progress bar
// on a terminal (stderr) and prints NDJSON otherwise; download writes FILE.part and resumes it
// from its size when run again, then checks the SHA-256 the job reports and renames it to FILE.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import {
  ExportFormat,
  ExportJobStatus,
  exportJobStatusToJSON,
  ExportOrdersResponse,
  GetExportJobResponse,
  WatchExportJobResponse,
  type ExportJob,
} from '../gen/orderflow/exports/v1/export_service.js';
import { OrderStatus } from '../gen/orderflow/orders/v1/order_service.js';
import { expectPositionals, requiredString, stringValue, UsageError } from './args.js';
import type { Command, CommandContext } from './command.js';
import { EXIT_CALL_FAILED, EXIT_OK } from './exit-codes.js';
import { exitCodeOf, followStream } from './follow-stream.js';
import { parseOrderStatus } from './order-commands.js';
import { note, printJson, printJsonLine } from './output.js';

const FORMATS: Readonly<Record<string, ExportFormat>> = { csv: ExportFormat.EXPORT_FORMAT_CSV, ndjson: ExportFormat.EXPORT_FORMAT_NDJSON };
const FINAL = new Set([ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ExportJobStatus.EXPORT_JOB_STATUS_FAILED]);
const statusName = (job: ExportJob) => exportJobStatusToJSON(job.status).replace('EXPORT_JOB_STATUS_', '');

const create: Command = {
  name: 'exports create',
  usage: ['exports create --format csv|ndjson [--customer ID] [--status STATUS] [--key IDEMPOTENCY_KEY]'],
  summary: 'Start an export of the orders a filter matches; prints the QUEUED job.',
  details: [
    '  --format FORMAT      csv (RFC 4180, a header row) or ndjson (one proto3-JSON Order a line)',
    '  --customer ID        only this customer\'s orders (a customer always gets only its own)',
    '  --status STATUS      only orders in this status: pending, paid, shipped, delivered, cancelled',
    '  --key KEY            idempotency key: a retry with the same key returns the first job',
  ].join('\n'),
  example: 'exports create --format csv --status paid',
  options: { format: { type: 'string' }, customer: { type: 'string' }, status: { type: 'string' }, key: { type: 'string' } },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 0, 0, 'arguments');
    const formatText = requiredString(values, 'format');
    const format = FORMATS[formatText.toLowerCase()];
    if (format === undefined) throw new UsageError(`unknown format '${formatText}'; use csv or ndjson`);
    const statusText = stringValue(values, 'status');
    const request = {
      customerId: stringValue(values, 'customer') ?? '',
      status: statusText === undefined ? OrderStatus.ORDER_STATUS_UNSPECIFIED : parseOrderStatus(statusText),
      format,
      idempotencyKey: stringValue(values, 'key') ?? '',
    };
    printJson(ExportOrdersResponse.toJSON(await context.clients.exports.exportOrders(request, context.unary())));
    return EXIT_OK;
  },
};

const get: Command = {
  name: 'exports get',
  usage: ['exports get JOB_ID'],
  summary: 'Show an export job: status, progress, and size and SHA-256 once it has succeeded.',
  details: 'Fails with NOT_FOUND for an unknown job, or another customer\'s.',
  example: 'exports get 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00',
  options: {},
  async run({ positionals }, context) {
    expectPositionals(positionals, 1, 1, 'job ID');
    printJson(GetExportJobResponse.toJSON(await context.clients.exports.getExportJob({ id: positionals[0] ?? '' }, context.unary())));
    return EXIT_OK;
  },
};

/** `[#########...........]  45%  4500/10000 orders  RUNNING` */
export function progressBar(job: ExportJob, width = 30): string {
  const total = Number(job.ordersTotal);
  const done = Number(job.ordersDone);
  const share = job.status === ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED ? 1 : total === 0 ? 0 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${done}/${total} orders  ${statusName(job)}`;
}

const watch: Command = {
  name: 'exports watch',
  usage: ['exports watch JOB_ID'],
  summary: 'Follow an export job until it succeeds or fails (a progress bar on a terminal).',
  details: [
    'On a terminal a progress bar is drawn on stderr and the final job printed as JSON; otherwise',
    'every state is one JSON line (a WatchExportJobResponse). Exits 0 when the job SUCCEEDED, 1 when',
    'it FAILED (its error is shown), 130 on Ctrl-C.',
  ].join('\n'),
  example: 'exports watch 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00',
  options: {},
  async run({ positionals }, context) {
    expectPositionals(positionals, 1, 1, 'job ID');
    const tty = process.stderr.isTTY === true;
    let last: ExportJob | undefined;
    const ending = await followStream(
      context.clients.exports.watchExportJob({ id: positionals[0] ?? '' }, context.stream()),
      (response: WatchExportJobResponse) => {
        last = response.job ?? last;
        if (tty && last !== undefined) process.stderr.write(`\r${progressBar(last)}`);
        else printJsonLine(WatchExportJobResponse.toJSON(response));
      },
      { interrupted: context.interrupted },
    );
    if (tty) process.stderr.write('\n');
    if (tty && last !== undefined) printJson(GetExportJobResponse.toJSON({ job: last }));
    if (ending === 'interrupted' || last === undefined || !FINAL.has(last.status)) return exitCodeOf(ending);
    if (last.status === ExportJobStatus.EXPORT_JOB_STATUS_FAILED) {
      note(`error: the export failed: ${last.error}`);
      return EXIT_CALL_FAILED;
    }
    return EXIT_OK;
  },
};

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Downloads into `file`.part from its current size, then checks and renames it. */
async function downloadToFile(id: string, file: string, context: CommandContext): Promise<number> {
  const { job } = await context.clients.exports.getExportJob({ id }, context.unary());
  const partial = `${file}.part`;
  const offset = existsSync(partial) ? statSync(partial).size : 0;
  if (job !== undefined && BigInt(offset) > job.sizeBytes) throw new UsageError(`${partial} is larger than the export (${job.sizeBytes} bytes); remove it`);
  if (offset > 0) note(`note: resuming ${partial} at byte ${offset}`);
  const fd = openSync(partial, offset > 0 ? 'a' : 'w');
  let ending;
  try {
    ending = await followStream(
      context.clients.exports.downloadExport({ id, offset: BigInt(offset) }, context.stream()),
      (chunk) => void writeSync(fd, chunk.data),
      { interrupted: context.interrupted },
    );
  } finally {
    closeSync(fd);
  }
  if (ending === 'interrupted') {
    note(`note: stopped at byte ${statSync(partial).size}; run the same command again to resume`);
    return exitCodeOf(ending);
  }
  return verifyAndRename(partial, file, job);
}

async function verifyAndRename(partial: string, file: string, job: ExportJob | undefined): Promise<number> {
  const digest = await sha256OfFile(partial);
  if (job !== undefined && digest !== job.sha256) {
    note(`error: ${partial} does not match the export's SHA-256 (${job.sha256}); remove it and download again`);
    return EXIT_CALL_FAILED;
  }
  await rename(partial, file);
  note(`note: wrote ${file} (${statSync(file).size} bytes, sha256 ${digest})`);
  return EXIT_OK;
}

const download: Command = {
  name: 'exports download',
  usage: ['exports download JOB_ID --output FILE', 'exports download JOB_ID > FILE'],
  summary: 'Download a finished export; with --output an interrupted download resumes where it stopped.',
  details: [
    '  --output FILE        write to FILE.part, continuing from its size if it exists (run the same',
    '                       command again after an interruption), check the SHA-256 the job reports,',
    '                       then rename it to FILE. Without --output the file goes to stdout.',
    '',
    'Fails with FAILED_PRECONDITION while the job has not succeeded.',
  ].join('\n'),
  example: 'exports download 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00 --output orders.csv',
  options: { output: { type: 'string' } },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 1, 1, 'job ID');
    const id = positionals[0] ?? '';
    const output = stringValue(values, 'output');
    if (output !== undefined) return downloadToFile(id, output, context);
    const ending = await followStream(
      context.clients.exports.downloadExport({ id, offset: 0n }, context.stream()),
      (chunk) => void process.stdout.write(chunk.data),
      { interrupted: context.interrupted },
    );
    return exitCodeOf(ending);
  },
};

export const exportCommands: readonly Command[] = [create, get, watch, download];
