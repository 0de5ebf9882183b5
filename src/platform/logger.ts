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
  // blocked event loop; pino flushes what is buffered when the process exits. Past 16 MiB
  // waiting, lines are dropped rather than memory exhausted.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false, maxLength: 16 * 1024 * 1024 }));
}
