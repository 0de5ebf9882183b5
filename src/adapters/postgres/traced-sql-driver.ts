// A tracing decorator for SqlDriver: a CLIENT span per query and one per transaction (its queries
// nested under it), for both PGlite and PostgreSQL. Only work done for a traced request is traced.
// The SQL text is recorded (it holds placeholders, never the parameter values).
import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

const TABLE = /\b(?:FROM|INTO|UPDATE|JOIN)\s+([a-z_][a-z0-9_]*)/i;

/** "SELECT orders", "INSERT orders", "WITH event_sequence": a low-cardinality span name. */
export function querySummary(sql: string): string {
  const operation = /^\s*([a-z]+)/i.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
  const table = TABLE.exec(sql)?.[1];
  return table === undefined ? operation : `${operation} ${table}`;
}

export function tracedSqlDriver(driver: SqlDriver, tracer: Tracer, attributes: Record<string, string>): SqlDriver {
  async function inSpan<T>(name: string, extra: Record<string, string>, run: () => Promise<T>): Promise<T> {
    if (trace.getSpan(context.active()) === undefined) return run();
    return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes: { ...attributes, ...extra } }, async (span) => {
      try {
        return await run();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  const traced = (executor: SqlExecutor): SqlExecutor => ({
    query: (text, params) => inSpan(querySummary(text), { 'db.query.text': text, 'db.operation.name': querySummary(text).split(' ')[0] ?? '' }, () => executor.query(text, params)),
    exec: (script) => inSpan('SQL script', {}, () => executor.exec(script)),
  });

  return {
    ...traced(driver),
    transaction: (work) => inSpan('transaction', {}, () => driver.transaction((tx) => work(traced(tx)))),
    close: () => driver.close(),
    stats: () => driver.stats(),
  };
}
