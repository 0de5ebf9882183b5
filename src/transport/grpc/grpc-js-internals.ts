// Everything the call pipeline relies on from @grpc/grpc-js beyond its typed API, in one place.
// test/e2e/grpc-js-internals.test.ts checks each point against the installed version and fails
// if an upgrade changes one of them; upgrade grpc-js only together with that test.
//
// 1. The pipeline runs every call from a server interceptor and never hands the call to grpc-js's
//    own handler wrappers (handleUnary & co.): the registered handler is a placeholder.
// 2. grpc-js ends some calls itself by calling sendStatus on its innermost call object (deadline
//    from grpc-timeout, an oversized or undecompressable message, a failed write): the pipeline
//    wraps that method on each call to learn the status the client really got. A status for a
//    stream already destroyed (the base call's `stream`) is not sent: grpc-js reports a cancel.
// 3. The node:http2 servers behind a Server are in its private `http2Servers` map; the pipeline
//    tracks their sessions itself (grpc-js tracks them only with channelz on), to end them at a
//    forced stop.
// 4. During a drain, grpc-js's keepalive pings on connections that already got GOAWAY fail and
//    grpc-js then destroys the connection, cutting calls still in flight; and a connection that
//    reaches its maximum age is destroyed after the age grace. Both read the private fields
//    `keepaliveTimeMs` and `maxConnectionAgeGraceMs` when they fire, so setting them at the start
//    of a drain stops both for the rest of it.
import type { Http2Server, Http2SecureServer, ServerHttp2Session } from 'node:http2';
import type { Server, ServerInterceptingCallInterface, ServerInterceptor } from '@grpc/grpc-js';

/** The version whose behaviour the points above were checked against. */
export const GRPC_JS_VERSION = '1.14.7';

/** Channel options the pipeline needs whatever the configuration: channelz costs per call and is not exposed. */
export const REQUIRED_SERVER_OPTIONS = { 'grpc.enable_channelz': 0 } as const;

/** grpc-js's handler kinds, as `Server.register` names them. */
export function handlerKind(requestStream: boolean, responseStream: boolean): 'unary' | 'clientStream' | 'serverStream' | 'bidi' {
  if (requestStream) return responseStream ? 'bidi' : 'clientStream';
  return responseStream ? 'serverStream' : 'unary';
}

/** Registered for routing and codecs only (point 1): reaching it means the pipeline is not installed. */
export function placeholderHandler(): never {
  throw new Error('orderflow: a call reached grpc-js handler code; the call pipeline interceptor is not installed');
}

/**
 * Point 1: grpc-js types an interceptor as returning its ServerInterceptingCall class, but only
 * calls the interface's methods on what it returns; the pipeline returns a plain object.
 */
export function asServerInterceptor(
  interceptor: (descriptor: Parameters<ServerInterceptor>[0], call: ServerInterceptingCallInterface) => ServerInterceptingCallInterface,
): ServerInterceptor {
  return interceptor as unknown as ServerInterceptor;
}

/** Point 2: `onStatus` sees every status sent on this call, including those grpc-js sends itself. */
export function observeStatuses(
  call: ServerInterceptingCallInterface,
  onStatus: (status: { code: number; details?: string | undefined }) => void,
): void {
  const sendStatus = call.sendStatus.bind(call);
  const stream = (call as { stream?: { destroyed?: boolean } }).stream;
  call.sendStatus = (status) => {
    // A status for a stream already destroyed (writes that failed because the client reset it or
    // its connection went away) is not sent: grpc-js finds the call cancelled and reports that.
    const gone = stream?.destroyed === true;
    sendStatus(status);
    if (!gone) onStatus(status);
  };
}

type Internals = {
  http2Servers?: Map<Http2Server | Http2SecureServer, unknown>;
  keepaliveTimeMs?: number;
  maxConnectionAgeGraceMs?: number;
};

/** Point 3: the listening node:http2 servers, once `bindAsync` has completed. */
export function http2ServersOf(server: Server): (Http2Server | Http2SecureServer)[] {
  const servers = (server as unknown as Internals).http2Servers;
  if (!(servers instanceof Map)) throw new Error(`grpc-js ${GRPC_JS_VERSION} internals changed: Server.http2Servers is not a Map`);
  return [...servers.keys()];
}

/** Sessions of a server's listeners, from now on (call right after bindAsync). */
export function trackSessions(server: Server): Set<ServerHttp2Session> {
  const sessions = new Set<ServerHttp2Session>();
  for (const http2Server of http2ServersOf(server)) {
    http2Server.on('session', (session: ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
  }
  return sessions;
}

/** Point 4: no keepalive ping and no connection-age destroy from now on. */
export function stopConnectionTimers(server: Server): void {
  const internals = server as unknown as Internals;
  if (typeof internals.keepaliveTimeMs !== 'number' || typeof internals.maxConnectionAgeGraceMs !== 'number') {
    throw new Error(`grpc-js ${GRPC_JS_VERSION} internals changed: keepaliveTimeMs / maxConnectionAgeGraceMs not found`);
  }
  internals.keepaliveTimeMs = 0; // canSendPing() requires > 0
  internals.maxConnectionAgeGraceMs = ~(1 << 31); // UNLIMITED_CONNECTION_AGE_MS: no grace timer is started
}
