// A tracing decorator for the Cache port: a CLIENT span per call made for a traced request, with
// the number of keys (never the keys: they hold ids) and, for reads, how many were hits.
import type { Tracer } from '@opentelemetry/api';
import type { Cache } from '../domain/ports.js';
import { inClientSpan } from './traced.js';

export function tracedCache(cache: Cache, tracer: Tracer, system: string): Cache {
  const attributes = (operation: string, keys: number) => ({ 'cache.system': system, 'cache.operation': operation, 'cache.keys': keys });
  return {
    getMany: (keys, scope) =>
      inClientSpan(
        tracer,
        'cache getMany',
        attributes('getMany', keys.length),
        () => cache.getMany(keys, scope),
        (values) => ({
          'cache.hits': values.filter((v) => v !== undefined).length,
        }),
      ),
    setMany: (entries, ttlMs, scope) =>
      inClientSpan(tracer, 'cache setMany', attributes('setMany', entries.length), () => cache.setMany(entries, ttlMs, scope)),
    delete: (keys, scope) => inClientSpan(tracer, 'cache delete', attributes('delete', keys.length), () => cache.delete(keys, scope)),
  };
}
