// grpc.health.v1 (Check and Watch) backed by platform health: the overall status ("") and each
// named service follow readiness.
import { HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import type { Health } from '../../platform/health.js';

export { HealthDefinition } from 'nice-grpc-server-health';

export function healthService(health: Health, serviceNames: readonly string[]): HealthServiceImpl {
  const state = HealthState();
  const apply = (ready: boolean) => {
    const status = ready ? 'healthy' : 'unhealthy';
    state.setStatus(status);
    for (const name of serviceNames) state.setStatus(status, name);
  };
  apply(health.isReady());
  health.onChange(apply);
  return HealthServiceImpl(state);
}
