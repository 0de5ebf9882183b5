// The deadline of the call being served, carried in the active OpenTelemetry context so that
// outbound calls made on its behalf can pass on the time that is left.
import { type Context, context, createContextKey } from '@opentelemetry/api';

const DEADLINE = createContextKey('platform.call-deadline');

/** `deadline` in epoch milliseconds; Infinity or undefined means none. */
export function withDeadline(ctx: Context, deadline: number | undefined): Context {
  return deadline === undefined || !Number.isFinite(deadline) ? ctx : ctx.setValue(DEADLINE, deadline);
}

/** Epoch milliseconds by which the current call must finish, if it has a deadline. */
export function currentDeadline(): number | undefined {
  return context.active().getValue(DEADLINE) as number | undefined;
}
