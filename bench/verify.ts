// Did the calls really succeed? h2load counts every HTTP 200 as a success, and a gRPC error is an
// HTTP 200 with a grpc-status trailer, so each unary run must also pass: every response carried
// exactly the reply message the probe got (error responses carry none), and, where the server
// counts calls (the baseline; orderflow with callTelemetry on), its grpc_server_handled_total
// moved by exactly the calls sent, all OK. A failed check throws.
import type { H2loadResult, Latency } from './h2load.js';
import type { Scenario } from './scenarios.js';
import { delta, handledByCode, type Scrape, sum } from './server-counters.js';
import type { RunningServer } from './servers.js';
import type { UnaryTarget, WatchTarget } from './targets.js';

export type UnaryEvidence = Readonly<{ requests: number; run: H2loadResult; latency: Latency; before: Scrape; after: Scrape }>;

export type WatchResult = Readonly<{
  messages: number;
  bytes: number;
  replays: number;
  totalMessages: number;
  windowS: number;
  generatorCpuPct: number;
  errors: string[];
}>;

export class FailedCalls extends Error {}

function ensure(ok: boolean, scenario: Scenario, what: string): void {
  if (!ok) throw new FailedCalls(`${scenario.name}: ${what}`);
}

/** Does this server count its calls by status? */
export const countsCalls = (server: RunningServer): boolean => server.spec.kind === 'baseline' || server.spec.production;

const describe = (codes: ReadonlyMap<string, number>) =>
  codes.size === 0 ? 'nothing' : [...codes].map(([code, n]) => `${n} ${code}`).join(', ');

export function checkUnary(scenario: Scenario, server: RunningServer, target: UnaryTarget, e: UnaryEvidence): string[] {
  const { requests, run, latency } = e;
  ensure(
    run.succeeded === requests && run.status2xx === requests && run.failed + run.errored + run.timedOut === 0,
    scenario,
    `h2load: ${run.succeeded}/${requests} succeeded, ${run.status2xx} HTTP 2xx, ${run.failed} failed, ${run.errored} errored, ${run.timedOut} timed out`,
  );
  ensure(
    latency.count === requests && latency.non200 === 0,
    scenario,
    `h2load log: ${latency.count} calls, ${latency.non200} not HTTP 200`,
  );
  const expected = requests * target.replyDataBytes;
  ensure(
    run.dataBytes === expected,
    scenario,
    `responses carried ${run.dataBytes} DATA bytes, not ${requests} × ${target.replyDataBytes} = ${expected}: some calls got no reply message (an error status) or another one`,
  );
  const checks = [`h2load: ${requests} × HTTP 200, each with the ${target.replyDataBytes}-byte reply`];
  if (countsCalls(server)) {
    const codes = delta(handledByCode(e.before, target.method), handledByCode(e.after, target.method));
    ensure(codes.get('OK') === requests && codes.size === 1, scenario, `the server counted ${describe(codes)} for ${requests} calls`);
    checks.push(`server: ${requests} OK, no other status`);
  } else {
    checks.push('server: keeps no count with callTelemetry off');
  }
  if (target.method === 'GetOrder' && server.spec.kind === 'orderflow') {
    const results = delta(
      sum(e.before, 'orderflow_cache_requests_total', { cache: 'orders' }, 'result'),
      sum(e.after, 'orderflow_cache_requests_total', { cache: 'orders' }, 'result'),
    );
    ensure((results.get('hit') ?? 0) >= requests - 1, scenario, `order cache: ${describe(results)} for ${requests} calls`);
    checks.push(`order cache: ${describe(results)}`);
  }
  return checks;
}

export function checkWatch(
  scenario: Scenario,
  server: RunningServer,
  target: WatchTarget,
  result: WatchResult,
  handled: ReadonlyMap<string, number>,
  sent: number,
): string[] {
  ensure(result.errors.length === 0, scenario, `the streams failed: ${result.errors.join('; ')}`);
  ensure(result.replays > 0 && result.messages > 0, scenario, `no replay of the ${target.events} events completed`);
  const checks = [
    `${result.replays} replays of all ${target.events} events (first and last decoded and in sequence), no stream ended by the server`,
  ];
  if (countsCalls(server)) {
    const failures = [...handled].filter(([code]) => code !== 'OK' && code !== 'Canceled');
    ensure(failures.length === 0, scenario, `the server ended WatchOrders streams with ${describe(new Map(failures))}`);
    checks.push(`server: streams ended ${describe(handled)} (cancelled by the generator after each replay)`);
  }
  if (server.spec.kind === 'orderflow' && server.spec.production) {
    ensure(
      sent >= result.totalMessages,
      scenario,
      `the server counted ${sent} messages sent, the generator received ${result.totalMessages}`,
    );
  }
  return checks;
}
