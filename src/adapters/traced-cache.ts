// A tracing decorator for the Cache port: a CLIENT span per call made on behalf of a traced
// request (untraced background work makes none).
import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { Cache } from '../domain/ports.js';

export function tracedCache(cache: Cache, tracer: Tracer, system: string): Cache {
  async function traced<T>(operation: string, run: () => Promise<T>, describe?: (result: T) => Record<string, boolean>): Promise<T> {
    if (trace.getSpan(context.active()) === undefined) return run();
    return tracer.startActiveSpan(`cache ${operation}`, { kind: SpanKind.CLIENT, attributes: { 'cache.system': system, 'cache.operation': operation } }, async (span) => {
      try {
        const result = await run();
        if (describe !== undefined) span.setAttributes(describe(result));
        return result;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  }
  return {
    get: (key) => traced('get', () => cache.get(key), (value) => ({ 'cache.hit': value !== undefined })),
    set: (key, value, ttlMs) => traced('set', () => cache.set(key, value, ttlMs)),
    delete: (key) => traced('delete', () => cache.delete(key)),
  };
}
