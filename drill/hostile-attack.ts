// The attacker of the hostile-load drill, run as a process of its own (node --import tsx
// drill/hostile-attack.ts ADDRESS) so that its work (thousands of sessions, 400 MiB of request
// bodies) does not stall the event loop of the drill's real callers, whose latency is measured.
// Opens the idle connections, sends the large and the silent requests without credentials,
// waits for every one to end (or hang), closes everything and prints one JSON line of results.
import type { ClientHttp2Session } from 'node:http2';
import { closeSession, http2Call, type Http2Outcome, openSession, prefix } from '../test/support/http2-raw.js';

const MiB = 1024 * 1024;
export const BIG_REQUESTS = 100;
export const SILENT_STREAMS = 1000;
export const IDLE_CONNECTIONS = 2000;

export type AttackReport = Readonly<{
  idleOpenMs: number;
  big: { codes: Record<string, number>; allEndedMs: number };
  silent: { codes: Record<string, number>; allEndedMs: number };
  idleClosedByServer: number;
}>;

const codeOf = (o: Http2Outcome) =>
  o.hung
    ? 'hung'
    : o.grpcStatus === 16
      ? 'UNAUTHENTICATED'
      : o.grpcStatus === undefined
        ? `RST_STREAM ${o.rstCode}`
        : `grpc-status ${o.grpcStatus}`;

function summarise(outcomes: (Http2Outcome & { afterMs: number })[]) {
  const codes: Record<string, number> = {};
  for (const o of outcomes) codes[codeOf(o)] = (codes[codeOf(o)] ?? 0) + 1;
  return { codes, allEndedMs: Math.max(...outcomes.map((o) => o.afterMs)) };
}

async function attack(address: string): Promise<AttackReport> {
  const started = performance.now();
  const idle: ClientHttp2Session[] = [];
  for (let i = 0; i < IDLE_CONNECTIONS; i += 100) {
    idle.push(...(await Promise.all(Array.from({ length: Math.min(100, IDLE_CONNECTIONS - i) }, () => openSession(address)))));
  }
  const idleOpenMs = performance.now() - started;
  // One connection per large request: Node's http2 refuses streams with ENHANCE_YOUR_CALM once a
  // session buffers more than maxSessionMemory (10 MB), which would test Node, not orderflow.
  const bigSessions = await Promise.all(Array.from({ length: BIG_REQUESTS }, () => openSession(address)));
  const silentSessions = await Promise.all(Array.from({ length: 4 }, () => openSession(address)));
  const body = Buffer.concat([prefix(0, 4 * MiB - 64), Buffer.alloc(4 * MiB - 64, 0x0a)]);
  const timed = (from: number) => (o: Http2Outcome) => ({ ...o, afterMs: performance.now() - from });
  const silentFrom = performance.now();
  const silent = Array.from({ length: SILENT_STREAMS }, (_, i) =>
    http2Call(silentSessions[i % 4]!, {
      path: '/orderflow.orders.v1.OrderService/WatchOrders',
      body: Buffer.alloc(0),
      endStream: false,
      timeoutMs: 60_000,
    }).then(timed(silentFrom)),
  );
  const bigFrom = performance.now();
  const big = bigSessions.map((session) =>
    http2Call(session, { path: '/orderflow.orders.v1.OrderService/CreateOrder', body, timeoutMs: 60_000 }).then(timed(bigFrom)),
  );
  const [silentOutcomes, bigOutcomes] = await Promise.all([Promise.all(silent), Promise.all(big)]);
  const idleClosedByServer = idle.filter((s) => s.closed || s.destroyed).length;
  for (const s of idle) s.destroy();
  await Promise.all([...bigSessions, ...silentSessions].map((s) => closeSession(s)));
  return { idleOpenMs, big: summarise(bigOutcomes), silent: summarise(silentOutcomes), idleClosedByServer };
}

if (process.argv[1]?.endsWith('hostile-attack.ts') === true) {
  const address = process.argv[2];
  if (address === undefined) throw new Error('usage: hostile-attack.ts HOST:PORT');
  console.log(JSON.stringify(await attack(address)));
  process.exit(0);
}
