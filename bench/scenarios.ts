// What is measured: the servers (each a process started once and reused by every round) and the
// scenarios (a load against one server). Every scenario belongs to a group whose `bare` scenario
// is its reference: ratios are taken against it, round by round. To add a scenario (more watch
// streams, a Redis cache, two replicas), add a server spec (and its start in servers.ts if it is
// a new kind) and a scenario naming it; the rounds, checks and report pick it up.
export type OrderflowSpec = Readonly<{
  kind: 'orderflow';
  /** Production: auth, access log, metrics, spans sampled at 0.1 to the harness's OTLP sink, rate limiter. */
  production: boolean;
  auth: 'off' | 'rs256' | 'hs256';
  /** A production server with one part of its telemetry turned off (the `parts` group); default: all on. */
  without?: 'access-log' | 'tracing';
}>;

export type ServerSpec = Readonly<{ label: string } & ({ kind: 'baseline' } | OrderflowSpec)>;

export const SERVERS = {
  bare: { label: 'bare grpc-js (bench/baseline-server.ts)', kind: 'baseline' },
  lean: { label: 'orderflow lean (auth off, callTelemetry false)', kind: 'orderflow', production: false, auth: 'off' },
  'prod-rs256': { label: 'orderflow production, RS256 JWT from a JWKS URL', kind: 'orderflow', production: true, auth: 'rs256' },
  'prod-hs256': { label: 'orderflow production, HS256 JWT', kind: 'orderflow', production: true, auth: 'hs256' },
  // One part off at a time (`npm run bench -- --scenario parts`): the cost of each part is its
  // server's difference from prod-hs256. Metrics alone are what prod-no-auth-log-trace adds to lean.
  'prod-no-auth': { label: 'production without auth', kind: 'orderflow', production: true, auth: 'off' },
  'prod-no-log': {
    label: 'production (HS256) without the access log',
    kind: 'orderflow',
    production: true,
    auth: 'hs256',
    without: 'access-log',
  },
  'prod-no-trace': { label: 'production (HS256) without tracing', kind: 'orderflow', production: true, auth: 'hs256', without: 'tracing' },
} as const satisfies Record<string, ServerSpec>;

export type ServerKey = keyof typeof SERVERS;

export type Load =
  | Readonly<{ kind: 'unary'; method: 'GetProduct' | 'GetOrder' }>
  /** WatchOrders streams that each replay a pre-filled log of `events` and are then cancelled and reopened. */
  | Readonly<{ kind: 'watch'; connections: number; streamsPerConnection: number; events: number }>;

export type Scenario = Readonly<{
  /** For --scenario: group:server, e.g. get-product:prod-rs256. */
  name: string;
  group: string;
  server: ServerKey;
  load: Load;
}>;

const WATCH: Load = { kind: 'watch', connections: 2, streamsPerConnection: 4, events: 2000 };

function group(groupName: string, load: Load, servers: readonly ServerKey[]): Scenario[] {
  return servers.map((server) => ({ name: `${groupName}:${server}`, group: groupName, server, load }));
}

export const SCENARIOS: readonly Scenario[] = [
  ...group('get-product', { kind: 'unary', method: 'GetProduct' }, ['bare', 'lean', 'prod-rs256', 'prod-hs256']),
  // The order is created before the rounds, so every call after the first is a cache hit.
  ...group('get-order', { kind: 'unary', method: 'GetOrder' }, ['bare', 'lean', 'prod-rs256', 'prod-hs256']),
  ...group('watch-orders', WATCH, ['bare', 'lean', 'prod-rs256']),
];

/** Run only when asked for by name (--scenario parts): what each part of production costs. */
export const EXTRA_SCENARIOS: readonly Scenario[] = group('parts', { kind: 'unary', method: 'GetProduct' }, [
  'bare',
  'lean',
  'prod-hs256',
  'prod-no-auth',
  'prod-no-log',
  'prod-no-trace',
]);

export const ALL_SCENARIOS: readonly Scenario[] = [...SCENARIOS, ...EXTRA_SCENARIOS];

/** The reference of a scenario's group. */
export const referenceOf = (scenario: Scenario): string => `${scenario.group}:bare`;

/**
 * Scenarios matching any of `patterns` (an exact name, a group, or a server key), with the bare
 * reference of each chosen group added so that every ratio has its denominator.
 */
export function selectScenarios(patterns: readonly string[]): Scenario[] {
  if (patterns.length === 0) return [...SCENARIOS];
  const unknown = patterns.filter((p) => !ALL_SCENARIOS.some((s) => s.name === p || s.group === p || s.server === p));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${ALL_SCENARIOS.map((s) => s.name).join(', ')}`);
  // A server key picks the default groups only; an extra group is run by its name.
  const matches = (s: Scenario, p: string) => s.name === p || s.group === p || (s.server === p && SCENARIOS.includes(s));
  const chosen = new Set(ALL_SCENARIOS.filter((s) => patterns.some((p) => matches(s, p))).map((s) => s.name));
  for (const s of ALL_SCENARIOS) if (chosen.has(s.name)) chosen.add(referenceOf(s));
  return ALL_SCENARIOS.filter((s) => chosen.has(s.name));
}
