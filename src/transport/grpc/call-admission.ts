// Who may call what, decided from a call's headers before any request message is read: the scope
// each method needs (a table the service passes in; methods missing from it are denied),
// authentication of the credentials presented, and the per-caller rate limit. A cached token is
// admitted synchronously; only a token not seen before waits for its verification.
import { ServerError, Status } from 'nice-grpc-common';
import type { Authenticator } from '../../platform/auth/authenticator.js';
import { AuthenticationError, type Principal } from '../../platform/auth/principal.js';
import type { RateLimiter } from '../../platform/rate-limiter.js';
import type { ServerCall } from './server-call.js';

/** The scope each method ("/pkg.Service/Method") needs; PUBLIC needs no credentials. */
export type ScopeTable = Readonly<Record<string, string>>;
export const PUBLIC = 'public';

export type AdmissionDeps = Readonly<{
  scopes: ScopeTable;
  /** Undefined when authentication is off (development): every caller is then `anonymous`. */
  authenticate: Authenticator | undefined;
  anonymous: Principal;
  limit: RateLimiter;
}>;

/** Admits the call (resolving its principal) or throws/rejects with the status to end it with. */
export type Admission = (call: ServerCall) => Principal | Promise<Principal>;

const PUBLIC_PRINCIPAL: Principal = { subject: 'anonymous', scopes: new Set(), method: 'anonymous' };

function first(call: ServerCall, key: string): string | undefined {
  const value = call.grpcMetadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** The common name of the client certificate TLS verified, if any. */
function clientCommonName(call: ServerCall): string | undefined {
  const cn = (call.base.getAuthContext().sslPeerCertificate?.subject as { CN?: string | string[] } | undefined)?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

export function createAdmission(deps: AdmissionDeps): Admission {
  const { scopes, authenticate, limit } = deps;

  const authorize = (principal: Principal, scope: string): Principal => {
    if (!principal.scopes.has(scope)) throw new ServerError(Status.PERMISSION_DENIED, `this call needs the scope ${scope}`);
    if (!limit(principal.subject))
      throw new ServerError(Status.RESOURCE_EXHAUSTED, 'rate limit exceeded for this caller; retry with backoff');
    return principal;
  };
  const refused = (error: unknown): never => {
    if (error instanceof AuthenticationError) throw new ServerError(Status.UNAUTHENTICATED, error.message);
    throw error;
  };

  return (call) => {
    const scope = scopes[call.method.path];
    if (scope === undefined) throw new ServerError(Status.PERMISSION_DENIED, `method ${call.method.path} is not open to callers`);
    if (scope === PUBLIC) return PUBLIC_PRINCIPAL;
    if (authenticate === undefined) return deps.anonymous;
    const authorization = first(call, 'authorization');
    const apiKey = first(call, 'x-api-key');
    let verified: Principal | Promise<Principal>;
    try {
      verified = authenticate({
        authorization,
        apiKey,
        clientCommonName: authorization === undefined && apiKey === undefined ? clientCommonName(call) : undefined,
      });
    } catch (error) {
      return refused(error);
    }
    if (verified instanceof Promise) return verified.then((principal) => authorize(principal, scope), refused);
    return authorize(verified, scope);
  };
}
