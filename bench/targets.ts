// What each scenario's load needs from its server, prepared once before the rounds: the request
// body file h2load sends and the exact DATA bytes one successful reply carries (learned from a
// probe call that is itself checked for grpc-status 0), the order GetOrder reads, and the
// pre-filled event log WatchOrders replays.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CREATE_ORDER, CREATE_ORDER_REQUEST, GET_ORDER, GET_PRODUCT, GET_PRODUCT_REQUEST, type Method, methodName } from './contract.js';
import { grpcFrame } from './grpc-frame.js';
import type { Scenario } from './scenarios.js';
import { callHeaders, type RunningServer } from './servers.js';
import { callMany, callUnary, expectOk, openSession } from './unary-probe.js';

export type UnaryTarget = Readonly<{ kind: 'unary'; method: string; url: string; bodyFile: string; replyDataBytes: number }>;
export type WatchTarget = Readonly<{ kind: 'watch'; events: number }>;
export type Target = UnaryTarget | WatchTarget;

/** Per server: orders created so far (each is one event in its log). */
const created = new Map<string, number>();

async function unaryTarget<Req>(server: RunningServer, method: Method<Req, unknown>, request: Req, dir: string): Promise<UnaryTarget> {
  const bytes = method.request.encode(request).finish();
  const session = await openSession(server.address);
  try {
    const reply = await callUnary(session, method.path, bytes, callHeaders(server));
    expectOk(reply, `${server.key}: probe ${methodName(method)}`);
    const bodyFile = join(dir, `${server.key}-${methodName(method)}.bin`);
    writeFileSync(bodyFile, grpcFrame(bytes));
    return {
      kind: 'unary',
      method: methodName(method),
      url: `http://${server.address}${method.path}`,
      bodyFile,
      replyDataBytes: reply.dataBytes,
    };
  } finally {
    session.close();
  }
}

async function createOrder(server: RunningServer): Promise<string> {
  const session = await openSession(server.address);
  try {
    const reply = await callUnary(
      session,
      CREATE_ORDER.path,
      CREATE_ORDER.request.encode(CREATE_ORDER_REQUEST).finish(),
      callHeaders(server),
    );
    created.set(server.key, (created.get(server.key) ?? 0) + 1);
    return CREATE_ORDER.response.decode(expectOk(reply, `${server.key}: CreateOrder`)).order?.id ?? '';
  } finally {
    session.close();
  }
}

async function prefill(server: RunningServer, count: number): Promise<void> {
  const session = await openSession(server.address);
  try {
    await callMany(session, CREATE_ORDER.path, CREATE_ORDER.request.encode(CREATE_ORDER_REQUEST).finish(), callHeaders(server), count);
    created.set(server.key, (created.get(server.key) ?? 0) + count);
  } finally {
    session.close();
  }
}

export async function prepareTarget(scenario: Scenario, server: RunningServer, dir: string): Promise<Target> {
  const load = scenario.load;
  switch (load.kind) {
    case 'unary': {
      if (load.method === 'GetProduct') return unaryTarget(server, GET_PRODUCT, GET_PRODUCT_REQUEST, dir);
      return unaryTarget(server, GET_ORDER, { id: await createOrder(server) }, dir);
    }
    case 'watch': {
      const missing = load.events - (created.get(server.key) ?? 0);
      if (missing < 0) throw new Error(`${scenario.name}: the server's log already holds more than ${load.events} events`);
      if (missing > 0) await prefill(server, missing);
      return { kind: 'watch', events: load.events };
    }
  }
}
