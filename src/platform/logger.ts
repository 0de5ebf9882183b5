// The root logger: pino, JSON lines for machines or pino-pretty text for people. Passed down
// explicitly (no global logger); components and calls take children with their own fields.
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export type LogConfig = Readonly<{
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  format: 'json' | 'pretty';
}>;

/** The ids of the span active where the line is logged: logs join traces. */
function activeTraceFields(): Record<string, string> {
  const span = trace.getSpanContext(context.active());
  return span !== undefined && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}

let lastMs = 0;
let lastTime = '';
/** pino's isoTime, formatted at most once per millisecond: busy servers log many lines per ms. */
function isoTime(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/**
 * Every line carries time (ISO 8601), level (a name), msg, the `base` fields (app, env)
 * and, inside a traced call, trace_id and span_id. `destination` defaults to stdout.
 */
export function createLogger(config: LogConfig, base: Record<string, unknown>, destination?: DestinationStream): Logger {
  const options = {
    level: config.level,
    base,
    timestamp: isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
    mixin: activeTraceFields,
  };
  if (config.format === 'pretty') {
    const stream = pretty({
      destination: destination ?? 1,
      sync: true,
      colorize: destination === undefined && process.stdout.isTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,app,env',
      singleLine: true,
    });
    return pino(options, stream);
  }
  // Asynchronous writes, so that a slow reader of stdout (a log shipper) costs buffering, not a
  // blocked event loop; what is buffered is written when the process exits. Past 16 MiB
  // waiting, lines are dropped rather than memory exhausted.
  return pino(options, destination ?? new BatchedLines(pino.destination({ dest: 1, sync: false, maxLength: 16 * 1024 * 1024 })));
}

/**
 * Lines handed to the file in batches: at most `LOG_BATCH_MS` after the first line of a batch, or
 * at once when `LOG_BATCH_CHARS` wait. A busy server ends thousands of calls a second; a write per
 * access line (an fs.write on libuv's thread pool, then its completion back on the loop) measured
 * 86-88 µs of CPU per call against 84-85 batched (bench/REPORT.md, runs E and F). flush,
 * flushSync and process exit (uncaught errors included: their handler exits) write what waits
 * first, so nothing is lost; the timer is not unref'd, so a process that ends by running out of
 * work writes its lines before it goes.
 */
const LOG_BATCH_MS = 10;
const LOG_BATCH_CHARS = 64 * 1024;

/** Every batch not yet closed, written out by one exit listener (not one listener per logger). */
const open = new Set<BatchedLines>();
let exitListener = false;

class BatchedLines implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: ReturnType<typeof pino.destination>) {
    open.add(this);
    out.once('close', () => open.delete(this));
    if (!exitListener) {
      exitListener = true;
      process.once('exit', () => {
        for (const batch of open) batch.flushSync();
      });
    }
  }

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= LOG_BATCH_CHARS) this.pass();
    else this.timer ??= setTimeout(this.due, LOG_BATCH_MS);
  }

  private readonly due = () => {
    this.timer = undefined;
    this.pass();
  };

  /** Hands the waiting lines to the file's buffer (written at once unless a write is in flight). */
  private pass(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? (this.lines[0] as string) : this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.out.write(text);
  }

  flush(callback?: (error?: Error) => void): void {
    this.pass();
    this.out.flush(callback);
  }

  flushSync(): void {
    this.pass();
    this.out.flushSync();
  }
}
