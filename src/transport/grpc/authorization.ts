// Who may call what: the scope each method requires, in one table, and the middleware that
// authenticates every call (a stream once, at its start), checks the scope, applies the per-caller
// rate limit and hands the handler the principal and the actor it acts as. Methods missing from
// the table are denied. Health (and reflection, when served) need no credentials.
import { ServerError, Status } from 'nice-grpc';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { type Actor, ANY_ACTOR } from '../../domain/actor.js';
import type { Authenticator } from '../../platform/auth/authenticator.js';
import { AuthenticationError, type Principal } from '../../platform/auth/principal.js';
import type { RateLimiter } from '../../platform/rate-limiter.js';
import { type CallRegistry, INTERNAL_CALL_KEY } from './call-registry.js';

/** Holders act for any customer (staff tools, trusted services); others only for their subject. */
export const ADMIN_SCOPE = 'orders:admin';

const ORDERS = '/orderflow.orders.v1.OrderService/';
const CATALOG = '/orderflow.catalog.v1.CatalogService/';

/** The scope each method needs; 'public' needs no credentials. */
export const METHOD_SCOPES: Readonly<Record<string, string>> = {
  [`${ORDERS}CreateOrder`]: 'orders:write',
  [`${ORDERS}GetOrder`]: 'orders:read',
  [`${ORDERS}ListOrders`]: 'orders:read',
  [`${ORDERS}UpdateOrderStatus`]: 'orders:write',
  [`${ORDERS}WatchOrders`]: 'orders:read',
  [`${ORDERS}ImportOrders`]: 'orders:write',
  [`${ORDERS}TrackOrders`]: 'orders:read',
  [`${CATALOG}UpsertProduct`]: 'catalog:write',
  [`${CATALOG}GetProduct`]: 'catalog:read',
  [`${CATALOG}BatchGetProducts`]: 'catalog:read',
  [`${CATALOG}ListProducts`]: 'catalog:read',
  '/grpc.health.v1.Health/Check': 'public',
  '/grpc.health.v1.Health/Watch': 'public',
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo': 'public',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo': 'public',
};

export type AuthContext = { principal: Principal; actor: Actor };

/** When authentication is off (dev only), every caller is this administrator. */
const DEV_PRINCIPAL: Principal = { subject: 'anonymous-dev', scopes: new Set([ADMIN_SCOPE]), method: 'anonymous' };
const PUBLIC_PRINCIPAL: Principal = { subject: 'anonymous', scopes: new Set(), method: 'anonymous' };

export type AuthorizationDeps = Readonly<{ authenticate: Authenticator | undefined; limit: RateLimiter; calls: CallRegistry }>;

async function principalFor(call: ServerMiddlewareCall<unknown, unknown>, ctx: CallContext, deps: AuthorizationDeps): Promise<Principal> {
  const scope = METHOD_SCOPES[call.method.path];
  if (scope === undefined) throw new ServerError(Status.PERMISSION_DENIED, `method ${call.method.path} is not open to callers`);
  if (scope === 'public') return PUBLIC_PRINCIPAL;
  if (deps.authenticate === undefined) return DEV_PRINCIPAL;
  const record = deps.calls.get(ctx.metadata.get(INTERNAL_CALL_KEY));
  let principal: Principal;
  try {
    principal = await deps.authenticate({
      authorization: ctx.metadata.get('authorization'),
      apiKey: ctx.metadata.get('x-api-key'),
      clientCommonName: record?.clientCommonName,
    });
  } catch (error) {
    if (error instanceof AuthenticationError) throw new ServerError(Status.UNAUTHENTICATED, error.message);
    throw error;
  }
  if (record !== undefined) record.principal = principal.subject;
  if (!principal.scopes.has(scope)) throw new ServerError(Status.PERMISSION_DENIED, `this call needs the scope ${scope}`);
  if (!deps.limit(principal.subject)) throw new ServerError(Status.RESOURCE_EXHAUSTED, 'rate limit exceeded for this caller; retry with backoff');
  return principal;
}

export const authorizationMiddleware = (deps: AuthorizationDeps): ServerMiddleware<AuthContext> =>
  async function* authorize<Request, Response>(call: ServerMiddlewareCall<Request, Response, AuthContext>, ctx: CallContext) {
    const principal = await principalFor(call, ctx, deps);
    const actor: Actor = principal.scopes.has(ADMIN_SCOPE) ? ANY_ACTOR : { kind: 'customer', customerId: principal.subject };
    return yield* call.next(call.request, { ...ctx, principal, actor });
  };
