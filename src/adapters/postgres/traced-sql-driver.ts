// A tracing decorator for SqlDriver: a CLIENT span per query and one per transaction (its queries
// nested under it), for both PGlite and PostgreSQL. Only work done for a traced request is traced.
// The SQL text is recorded (it holds placeholders, never the parameter values).
import type { Tracer } from '@opentelemetry/api';
import { inClientSpan } from '../traced.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

const TABLE = /\b(?:FROM|INTO|UPDATE|JOIN)\s+([a-z_][a-z0-9_]*)/i;

/** "SELECT orders", "INSERT orders", "WITH event_sequence": a low-cardinality span name. */
export function querySummary(sql: string): string {
  const operation = /^\s*([a-z]+)/i.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
  const table = TABLE.exec(sql)?.[1];
  return table === undefined ? operation : `${operation} ${table}`;
}

export function tracedSqlDriver(driver: SqlDriver, tracer: Tracer, attributes: Record<string, string>): SqlDriver {
  const inSpan = <T>(name: string, extra: Record<string, string>, run: () => Promise<T>) =>
    inClientSpan(tracer, name, { ...attributes, ...extra }, run);

  const traced = (executor: SqlExecutor): SqlExecutor => ({
    query: (text, params, scope) =>
      inSpan(querySummary(text), { 'db.query.text': text, 'db.operation.name': querySummary(text).split(' ')[0] ?? '' }, () =>
        executor.query(text, params, scope),
      ),
    exec: (script) => inSpan('SQL script', {}, () => executor.exec(script)),
  });

  return {
    ...traced(driver),
    transaction: (work, scope) => inSpan('transaction', {}, () => driver.transaction((tx) => work(traced(tx)), scope)),
    ping: () => driver.ping(),
    close: () => driver.close(),
    stats: () => driver.stats(),
    ...(driver.listen === undefined ? {} : { listen: driver.listen }),
  };
}
