// A tracing decorator for the Cache port: a CLIENT span per call made for a traced request.
import type { Tracer } from '@opentelemetry/api';
import type { Cache } from '../domain/ports.js';
import { inClientSpan } from './traced.js';

export function tracedCache(cache: Cache, tracer: Tracer, system: string): Cache {
  const attributes = (operation: string) => ({ 'cache.system': system, 'cache.operation': operation });
  return {
    get: (key) => inClientSpan(tracer, 'cache get', attributes('get'), () => cache.get(key), (value) => ({ 'cache.hit': value !== undefined })),
    set: (key, value, ttlMs) => inClientSpan(tracer, 'cache set', attributes('set'), () => cache.set(key, value, ttlMs)),
    delete: (key) => inClientSpan(tracer, 'cache delete', attributes('delete'), () => cache.delete(key)),
  };
}
