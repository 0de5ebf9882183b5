// grpc.health.v1 (Check and Watch) backed by platform health: the overall status ("") and each
// served service follow readiness, which is NOT_SERVING from the first moment of a stop. Watch
// streams receive every change and end with OK when the server drains.
import { ServerError, Status } from 'nice-grpc-common';
import type { ServiceImplementation } from 'nice-grpc';
import { HealthCheckResponse_ServingStatus as ServingStatus, HealthDefinition } from '../../gen/grpc/health/v1/health.js';
import type { Health } from '../../platform/health.js';
import type { AppCallContext } from './server-call.js';

export { HealthDefinition };

const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = ServingStatus;

export function healthService(
  health: Health,
  serviceNames: readonly string[],
): ServiceImplementation<typeof HealthDefinition, AppCallContext> {
  const known = new Set(['', ...serviceNames]);
  const status = (service: string) => (!known.has(service) ? SERVICE_UNKNOWN : health.isReady() ? SERVING : NOT_SERVING);
  return {
    check(request) {
      if (!known.has(request.service))
        return Promise.reject(new ServerError(Status.NOT_FOUND, `unknown service ${JSON.stringify(request.service)}`));
      return Promise.resolve({ status: status(request.service) });
    },
    async *watch(request, context) {
      context.abortOnTerminate();
      for (let last: number | undefined; ;) {
        const current = status(request.service);
        if (current !== last) yield { status: current };
        last = current;
        await health.changed(context.signal);
      }
    },
  };
}
