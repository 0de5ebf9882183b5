import { describe, expect, it } from 'vitest';
import { type CpuProfile, shortLocation, summariseProfile } from './cpu-profile.js';
import { selectScenarios } from './scenarios.js';
import { delta, handledByCode, parsePrometheusText, sum } from './server-counters.js';
import type { RunningServer } from './servers.js';
import { pairedRatio, rotate, type Measurement } from './stats.js';
import { checkUnary, FailedCalls } from './verify.js';

const METRICS = `# HELP grpc_server_handled_total Total number of RPCs completed on the server.
# TYPE grpc_server_handled_total counter
grpc_server_handled_total{grpc_type="unary",grpc_service="orderflow.catalog.v1.CatalogService",grpc_method="GetProduct",grpc_code="OK"} 120
grpc_server_handled_total{grpc_type="unary",grpc_service="orderflow.catalog.v1.CatalogService",grpc_method="GetProduct",grpc_code="NotFound"} 3
grpc_server_handled_total{grpc_type="unary",grpc_service="orderflow.orders.v1.OrderService",grpc_method="GetOrder",grpc_code="OK"} 7
process_cpu_seconds_total 1.5
`;

describe('server counters', () => {
  it('sums a metric by label and subtracts scrapes', () => {
    const before = parsePrometheusText(METRICS);
    const after = parsePrometheusText(METRICS.replace('"OK"} 120', '"OK"} 170'));
    expect(handledByCode(before, 'GetProduct')).toEqual(
      new Map([
        ['OK', 120],
        ['NotFound', 3],
      ]),
    );
    expect(delta(handledByCode(before, 'GetProduct'), handledByCode(after, 'GetProduct'))).toEqual(new Map([['OK', 50]]));
    expect(sum(before, 'grpc_server_handled_total', {}).get('')).toBe(130);
    expect(sum(before, 'process_cpu_seconds_total', {}).get('')).toBe(1.5);
  });
});

describe('cpu profile', () => {
  it('adds up self time by function and location, leaving idle out of the shares', () => {
    const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('verify', 'file:///app/node_modules/jose/dist/verify.js', 9) },
        { id: 4, callFrame: frame('verify', 'file:///app/node_modules/jose/dist/verify.js', 9) },
        { id: 5, callFrame: frame('', 'file:///app/dist/app.js', 0) },
      ],
      startTime: 0,
      endTime: 1000,
      samples: [3, 2, 4, 5, 3],
      timeDeltas: [0, 100, 400, 200, 100],
    };
    const summary = summariseProfile(profile, '/app');
    expect(summary.idleMs).toBeCloseTo(0.4);
    expect(summary.entries.map((e) => [e.name, e.location, Math.round(e.selfMs * 1000)])).toEqual([
      ['verify', 'node_modules/jose/dist/verify.js:10', 500],
      ['(anonymous)', 'dist/app.js:1', 100],
    ]);
    // The last sample stands for the mean interval (1000 µs / 5 samples).
    expect(summary.entries[0]!.share).toBeCloseTo(500 / 600);
    expect(shortLocation('node:internal/crypto/util', 469, '/app')).toBe('node:internal/crypto/util:470');
  });
});

describe('rounds and ratios', () => {
  const m = (scenario: string, round: number, rate: number) => ({ scenario, round, rate }) as Measurement;

  it('pairs each scenario with the reference of the same round and takes the median', () => {
    const runs = [m('a', 1, 50), m('bare', 1, 100), m('a', 2, 30), m('bare', 2, 50), m('a', 3, 90), m('bare', 3, 100)];
    expect(pairedRatio(runs, 'a', 'bare', (x) => x.rate)).toEqual({ median: 0.6, min: 0.5, max: 0.9 });
  });

  it('rotates the order of scenarios from one round to the next', () => {
    expect([0, 1, 2, 3].map((r) => rotate(['a', 'b', 'c'], r).join(''))).toEqual(['abc', 'bca', 'cab', 'abc']);
  });

  it('adds the bare reference of every chosen group', () => {
    expect(selectScenarios(['get-order:lean']).map((s) => s.name)).toEqual(['get-order:bare', 'get-order:lean']);
    expect(selectScenarios(['watch-orders']).map((s) => s.server)).toEqual(['bare', 'lean', 'prod-rs256']);
    expect(() => selectScenarios(['nope'])).toThrow(/unknown scenario nope/);
    // The parts group runs only when named; a server key alone picks the default groups.
    expect(selectScenarios([]).some((s) => s.group === 'parts')).toBe(false);
    expect(selectScenarios(['lean']).some((s) => s.group === 'parts')).toBe(false);
    expect(selectScenarios(['parts:prod-no-log']).map((s) => s.name)).toEqual(['parts:bare', 'parts:prod-no-log']);
  });
});

describe('unary checks', () => {
  const scenario = selectScenarios(['get-product:lean'])[1]!;
  const server = { key: 'lean', spec: { kind: 'orderflow', production: false, auth: 'off' } } as unknown as RunningServer;
  const target = { kind: 'unary', method: 'GetProduct', url: '', bodyFile: '', replyDataBytes: 69 } as const;
  const evidence = (dataBytes: number) => ({
    requests: 10,
    run: { seconds: 1, total: 10, succeeded: 10, failed: 0, errored: 0, timedOut: 0, status2xx: 10, dataBytes, cpuSeconds: 0 },
    latency: { count: 10, non200: 0, p50Ms: 1, p99Ms: 2 },
    before: new Map<string, number>(),
    after: new Map<string, number>(),
  });

  it('passes when every HTTP 200 carried the reply message', () => {
    expect(checkUnary(scenario, server, target, evidence(690))[0]).toMatch(/10 × HTTP 200/);
  });

  it('fails when some HTTP 200s carried no message (an error status in the trailers)', () => {
    expect(() => checkUnary(scenario, server, target, evidence(621))).toThrow(FailedCalls);
  });
});
