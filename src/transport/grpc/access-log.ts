// One log line per finished call, written from a grpc-js interceptor so that it also sees calls
// that end inside grpc-js (deadline exceeded, cancelled, oversized or undecodable messages).
import { Metadata, type ServerInterceptor, ServerInterceptingCall, type ServerMethodDefinition, status as Status } from '@grpc/grpc-js';
import type { Logger } from '../../platform/logger.js';
import { parseTraceparent } from '../../platform/trace-context.js';

const SERVER_FAULTS = new Set<number>([Status.UNKNOWN, Status.INTERNAL, Status.DATA_LOSS, Status.UNIMPLEMENTED]);
const DEGRADED = new Set<number>([Status.DEADLINE_EXCEEDED, Status.UNAVAILABLE, Status.RESOURCE_EXHAUSTED]);

export type CallKind = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

export function callKind(method: { requestStream: boolean; responseStream: boolean }): CallKind {
  if (method.requestStream) return method.responseStream ? 'bidi_stream' : 'client_stream';
  return method.responseStream ? 'server_stream' : 'unary';
}

/** "/pkg.Service/Method" → ["pkg.Service", "Method"]. */
export function splitMethodPath(path: string): [service: string, method: string] {
  const slash = path.lastIndexOf('/');
  return [path.slice(1, slash), path.slice(slash + 1)];
}

/**
 * A client whose deadline expires cancels the call itself, a moment before the server's own
 * timer fires; a cancel that close to the deadline is the deadline.
 */
const DEADLINE_TOLERANCE_MS = 50;

function deadlinePassed(deadline: Date | number): boolean {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) && Date.now() >= at - DEADLINE_TOLERANCE_MS;
}

export function accessLogInterceptor(log: Logger): ServerInterceptor {
  return (definition: ServerMethodDefinition<unknown, unknown>, call) => {
    const started = performance.now();
    const [service, method] = splitMethodPath(definition.path);
    const peer = call.getPeer();
    let metadata = new Metadata();
    let logged = false;

    const finish = (code: number) => {
      if (logged) return;
      logged = true;
      const trace = parseTraceparent(metadata.get('traceparent')[0]?.toString());
      const line = {
        service,
        method,
        type: callKind(definition),
        code: Status[code] ?? String(code),
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        peer,
        trace_id: trace?.traceId,
        span_id: trace?.spanId,
      };
      const level = SERVER_FAULTS.has(code) ? 'error' : DEGRADED.has(code) ? 'warn' : 'info';
      log[level](line, 'finished call');
    };

    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(received, nextMetadata) {
            metadata = received;
            nextMetadata(received);
          },
          // grpc-js reports every end of a call here, after any status; a call that ended
          // without passing a status through this interceptor was cancelled or timed out.
          onCancel() {
            finish(deadlinePassed(call.getDeadline()) ? Status.DEADLINE_EXCEEDED : Status.CANCELLED);
          },
        });
      },
      sendStatus(status, next) {
        finish(status.code);
        next(status);
      },
    });
  };
}
