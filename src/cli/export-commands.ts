// `orderflow exports create|get|watch|download`: order exports, which run as jobs on the server's
// workers. `watch` and `download` draw a progress bar when stderr is a terminal; `download`
// writes to FILE.part, resumes from its size when run again, checks the SHA-256 the server
// recorded, and only then renames it to FILE.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, open, rename, rm, stat } from 'node:fs/promises';
import {
  type ExportJob,
  ExportFormat,
  ExportJobStatus,
  exportJobStatusToJSON,
  ExportOrdersResponse,
  GetExportJobResponse,
  WatchExportJobResponse,
} from '../gen/orderflow/exports/v1/export_service.js';
import { OrderStatus } from '../gen/orderflow/orders/v1/order_service.js';
import { expectPositionals, flagValue, stringValue, UsageError } from './args.js';
import type { Command, CommandContext } from './command.js';
import { EXIT_CALL_FAILED, EXIT_INTERRUPTED, EXIT_OK } from './exit-codes.js';
import { followStream } from './follow-stream.js';
import { parseOrderStatus, ORDER_STATUS_NAMES } from './order-commands.js';
import { note, printJson, printJsonLine } from './output.js';
import { formatBytes, progressBar } from './progress-bar.js';

const FORMATS: Readonly<Record<string, ExportFormat>> = { csv: ExportFormat.EXPORT_FORMAT_CSV, ndjson: ExportFormat.EXPORT_FORMAT_NDJSON };
const EXTENSIONS: Readonly<Partial<Record<ExportFormat, string>>> = {
  [ExportFormat.EXPORT_FORMAT_CSV]: 'csv',
  [ExportFormat.EXPORT_FORMAT_NDJSON]: 'ndjson',
};
const FINAL = new Set([ExportJobStatus.EXPORT_JOB_STATUS_SUCCEEDED, ExportJobStatus.EXPORT_JOB_STATUS_FAILED]);

function parseFormat(text: string | undefined): ExportFormat {
  if (text === undefined) throw new UsageError('missing --format (csv or ndjson)');
  const format = FORMATS[text.toLowerCase()];
  if (format === undefined) throw new UsageError(`unknown format '${text}'; use csv or ndjson`);
  return format;
}

const shortStatus = (job: ExportJob) => exportJobStatusToJSON(job.status).replace('EXPORT_JOB_STATUS_', '');
const jobId = (positionals: readonly string[]) => (expectPositionals(positionals, 1, 1, 'a job ID'), positionals[0] ?? '');

/** Follows a job to its final state: NDJSON lines, or a progress bar on a terminal. */
async function followJob(id: string, context: CommandContext): Promise<number> {
  const bar = process.stdout.isTTY ? progressBar() : undefined;
  let last: ExportJob | undefined;
  const stream = context.clients.exports.watchExportJob({ id }, context.stream());
  const ending = await followStream(
    stream,
    (response) => {
      last = response.job ?? last;
      if (bar === undefined) printJsonLine(WatchExportJobResponse.toJSON(response));
      else if (last !== undefined)
        bar.update(
          Number(last.ordersDone),
          Number(last.ordersTotal),
          `${Number(last.ordersDone).toLocaleString('en')}/${Number(last.ordersTotal).toLocaleString('en')} orders, ${shortStatus(last)}`,
        );
    },
    { interrupted: context.interrupted },
  );
  bar?.finish();
  if (bar !== undefined && last !== undefined) printJson(WatchExportJobResponse.toJSON({ job: last }));
  if (ending === 'interrupted') {
    note(`note: stopped watching; the job goes on on the server: orderflow exports watch ${id}`);
    return EXIT_INTERRUPTED;
  }
  if (last === undefined || !FINAL.has(last.status)) {
    note(`note: the server ended the stream before the job finished (it is shutting down?); watch again: orderflow exports watch ${id}`);
    return EXIT_CALL_FAILED;
  }
  if (last.status === ExportJobStatus.EXPORT_JOB_STATUS_FAILED) {
    note(`error: export job ${id} failed: ${last.error}`);
    return EXIT_CALL_FAILED;
  }
  note(`note: export ready (${formatBytes(Number(last.sizeBytes))}); download it: orderflow exports download ${id}`);
  return EXIT_OK;
}

const create: Command = {
  name: 'exports create',
  usage: ['exports create --format csv|ndjson [--customer ID] [--status STATUS] [--key IDEMPOTENCY_KEY] [--watch]'],
  summary: 'Start an export of orders as a job; prints the job at once (or follows it with --watch).',
  details: [
    '  --format FORMAT      csv (RFC 4180, header row, money as minor units + currency) or ndjson',
    '                       (one proto3-JSON Order a line)',
    "  --customer ID        only this customer's orders (a customer's own, when it calls)",
    `  --status STATUS      only orders in this status: ${ORDER_STATUS_NAMES.join(', ')}`,
    '  --key KEY            idempotency key: running the command again returns the same job',
    '  --watch              follow the job to its end, as `exports watch` does',
    '',
    'Prints the ExportOrdersResponse; the job runs on the server (or its workers) and survives',
    'this command. Needs the orders:read scope.',
  ].join('\n'),
  example: 'exports create --format csv --status paid --key monthly-2026-11',
  options: {
    format: { type: 'string' },
    customer: { type: 'string' },
    status: { type: 'string' },
    key: { type: 'string' },
    watch: { type: 'boolean' },
  },
  async run({ values, positionals }, context) {
    expectPositionals(positionals, 0, 0, 'arguments');
    const statusText = stringValue(values, 'status');
    const request = {
      format: parseFormat(stringValue(values, 'format')),
      customerId: stringValue(values, 'customer') ?? '',
      status: statusText === undefined ? OrderStatus.ORDER_STATUS_UNSPECIFIED : parseOrderStatus(statusText),
      idempotencyKey: stringValue(values, 'key') ?? '',
    };
    const response = await context.clients.exports.exportOrders(request, context.unary());
    const id = response.job?.id ?? '';
    if (flagValue(values, 'watch')) return followJob(id, context);
    printJson(ExportOrdersResponse.toJSON(response));
    note(
      `note: export job ${id} is ${response.job === undefined ? 'recorded' : shortStatus(response.job)}; follow it: orderflow exports watch ${id}`,
    );
    return EXIT_OK;
  },
};

const get: Command = {
  name: 'exports get',
  usage: ['exports get ID'],
  summary: "Show an export job's state and progress.",
  details: "Prints the GetExportJobResponse. A job that does not exist, or is another customer's, is NOT_FOUND.",
  example: 'exports get 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00',
  options: {},
  async run({ positionals }, context) {
    const response = await context.clients.exports.getExportJob({ id: jobId(positionals) }, context.unary());
    printJson(GetExportJobResponse.toJSON(response));
    return EXIT_OK;
  },
};

const watch: Command = {
  name: 'exports watch',
  usage: ['exports watch ID'],
  summary: 'Follow an export job until it succeeds or fails.',
  details: [
    'On a terminal: a progress bar on stderr, then the final job as JSON. Otherwise one',
    'WatchExportJobResponse JSON line per change. Exits 0 when the job SUCCEEDED, 1 when it FAILED',
    '(its error on stderr), 130 on Ctrl-C (the job goes on).',
  ].join('\n'),
  example: 'exports watch 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00',
  options: {},
  run: ({ positionals }, context) => followJob(jobId(positionals), context),
};

const download: Command = {
  name: 'exports download',
  usage: ['exports download ID [--output FILE] [--force]'],
  summary: 'Download a finished export to a file, resuming an interrupted download.',
  details: [
    '  --output FILE        where to write it (default export-ID.csv or .ndjson); - for stdout',
    '  --force              replace FILE if it exists',
    '',
    'Bytes go to FILE.part first. Run the same command again after an interruption (Ctrl-C, a',
    'lost connection) and it goes on from where FILE.part ends. At the end the SHA-256 of the',
    'whole file is checked against the one the server recorded; then FILE.part becomes FILE and',
    'a JSON summary {file, bytes, sha256} is printed. A job that has not SUCCEEDED is',
    'FAILED_PRECONDITION.',
  ].join('\n'),
  example: 'exports download 0190c5d2-7f3a-7cc1-9b1e-5d4c3b2a1f00 --output november.csv',
  options: { output: { type: 'string', short: 'o' }, force: { type: 'boolean' } },
  async run({ values, positionals }, context) {
    const id = jobId(positionals);
    const { job } = await context.clients.exports.getExportJob({ id }, context.unary());
    if (job === undefined) throw new Error('the server sent no job');
    const output = stringValue(values, 'output') ?? `export-${id}.${EXTENSIONS[job.format] ?? 'out'}`;
    if (output === '-') return downloadToStdout(id, context);
    return downloadToFile(job, output, flagValue(values, 'force'), context);
  },
};

async function downloadToStdout(id: string, context: CommandContext): Promise<number> {
  const stream = context.clients.exports.downloadExport({ id, offset: 0n }, context.stream());
  const ending = await followStream(stream, (chunk) => process.stdout.write(chunk.data), { interrupted: context.interrupted });
  return ending === 'interrupted' ? EXIT_INTERRUPTED : EXIT_OK;
}

async function downloadToFile(job: ExportJob, output: string, force: boolean, context: CommandContext): Promise<number> {
  if (!force && (await exists(output))) throw new UsageError(`${output} exists; pass --force to replace it, or --output another file`);
  const part = `${output}.part`;
  const size = Number(job.sizeBytes);
  let offset = (await exists(part)) ? (await stat(part)).size : 0;
  if (offset > size) {
    note(`note: ${part} is longer than the export (${offset} > ${size} bytes): starting over`);
    await rm(part);
    offset = 0;
  } else if (offset > 0) note(`note: resuming ${part} at byte ${offset} of ${size}`);
  const file = await open(part, 'a');
  const bar = progressBar();
  let written = offset;
  const show = () => bar.update(written, size, `${formatBytes(written)}/${formatBytes(size)}`);
  try {
    if (offset < size || size === 0) {
      const stream = context.clients.exports.downloadExport({ id: job.id, offset: BigInt(offset) }, context.stream());
      for await (const chunk of stream) {
        if (Number(chunk.offset) !== written) throw new Error(`the server sent bytes from ${chunk.offset}, expected ${written}`);
        await file.write(chunk.data);
        written += chunk.data.length;
        show();
      }
    }
    await file.sync();
  } catch (error) {
    bar.finish();
    const interrupted = context.interrupted.aborted;
    note(
      `note: ${interrupted ? 'stopped' : 'interrupted'} at byte ${written} of ${size} (kept in ${part}); run the same command again to resume`,
    );
    if (interrupted) return EXIT_INTERRUPTED;
    throw error;
  } finally {
    await file.close();
  }
  bar.finish();
  const sha256 = await fileSha256(part);
  if (written !== size || sha256 !== job.sha256) {
    await rm(part);
    note(
      `error: the downloaded file (${written} bytes, sha256 ${sha256}) does not match the export (${size} bytes, sha256 ${job.sha256}); ${part} was removed, run the command again`,
    );
    return EXIT_CALL_FAILED;
  }
  await rename(part, output);
  printJson({ file: output, bytes: written, sha256 });
  return EXIT_OK;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export const exportCommands: readonly Command[] = [create, get, watch, download];
