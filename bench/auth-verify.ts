// Micro-benchmark of bearer-token verification (src/platform/auth/jwt-verifier.ts), in-process:
// verifications per second and µs per call, one call at a time, for HS256 and RS256 (JWKS file)
// tokens: jose from scratch as before this change (HS256 secret re-imported on every call),
// the verifier with its cache off (keys imported once), and with the cache on.
// Scenarios run interleaved round by round; the table shows medians and per-round ratios.
//   npx tsx bench/auth-verify.ts [--rounds 7] [--ms 1000]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createJwtVerifier, type JwtConfig } from '../src/platform/auth/jwt-verifier.js';
import type { Principal } from '../src/platform/auth/principal.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, ms: { type: 'string', default: '1000' } } });
const ROUNDS = Number(values.rounds);
const WINDOW_MS = Number(values.ms);

const secret = randomBytes(36).toString('base64url');
const { publicKey, privateKey } = await generateKeyPair('RS256');
const jwksFile = join(mkdtempSync(join(tmpdir(), 'auth-bench-')), 'jwks.json');
writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }] }));

const claims = (subject: string) =>
  new SignJWT({ scope: 'orders:read orders:write catalog:read' })
    .setIssuer('bench')
    .setAudience('orderflow')
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('2h');
const hsToken = await claims('alice').setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
const rsToken = await claims('alice').setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(privateKey);
/** 20,000 distinct HS256 tokens, cycled through a cache of 1,000: every call is a miss. */
const floodTokens = await Promise.all(
  Array.from({ length: 20_000 }, (_, i) => claims(`user-${i}`).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))),
);
/** 1,000 callers, each with its own token, all cached. */
const callerTokens = floodTokens.slice(0, 1_000);

const config = (cacheMaxEntries: number): JwtConfig => ({
  issuer: 'bench',
  audience: 'orderflow',
  algorithms: ['HS256', 'RS256'],
  hs256Secret: { reveal: () => secret },
  jwksFile,
  jwksCacheMs: 600_000,
  leewaySeconds: 30,
  cacheMaxEntries,
});
const verifyOptions = { issuer: 'bench', audience: 'orderflow', algorithms: ['HS256'], clockTolerance: 30, requiredClaims: ['sub', 'exp'] };
const rawSecret = new TextEncoder().encode(secret);

type Verify = (token: string) => Principal | Promise<unknown>;
type Scenario = { name: string; verify: Verify; tokens: readonly string[] };
const off = createJwtVerifier(config(0));
const on = createJwtVerifier(config(10_000));
const small = createJwtVerifier(config(1_000));
const SCENARIOS: Scenario[] = [
  { name: 'HS256 jose from scratch (before)', verify: (t) => jwtVerify(t, rawSecret, verifyOptions), tokens: [hsToken] },
  { name: 'HS256 cache off', verify: (t) => off.verify(t), tokens: [hsToken] },
  { name: 'HS256 cache off, every token new', verify: (t) => off.verify(t), tokens: floodTokens },
  { name: 'HS256 cache on, every token new', verify: (t) => small.verify(t), tokens: floodTokens },
  { name: 'HS256 cached', verify: (t) => on.verify(t), tokens: [hsToken] },
  { name: 'HS256 cached, 1,000 callers', verify: (t) => on.verify(t), tokens: callerTokens },
  { name: 'RS256 cache off', verify: (t) => off.verify(t), tokens: [rsToken] },
  { name: 'RS256 cached', verify: (t) => on.verify(t), tokens: [rsToken] },
];

type Result = { perSecond: number; usPerCall: number; cpuUsPerCall: number };

/** Calls one at a time for WINDOW_MS; returns calls per second, wall and CPU (all threads) µs per call. */
async function measure({ verify, tokens }: Scenario): Promise<Result> {
  let calls = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const end = started + BigInt(WINDOW_MS) * 1_000_000n;
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 64; i++) {
      const result = verify(tokens[calls % tokens.length] ?? '');
      if (result instanceof Promise) await result;
      calls++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const { user, system } = process.cpuUsage(cpu);
  return { perSecond: calls / seconds, usPerCall: (seconds * 1e6) / calls, cpuUsPerCall: (user + system) / calls };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

for (const s of SCENARIOS) await measure({ ...s }); // warm-up: JIT, key imports, cache fill
const results = new Map<string, Result[]>(SCENARIOS.map((s) => [s.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round so no scenario always runs first or last.
  for (let i = 0; i < SCENARIOS.length; i++) {
    const s = SCENARIOS[(i + round) % SCENARIOS.length] as Scenario;
    results.get(s.name)?.push(await measure(s));
  }
}

/** What each scenario is compared with: the same tokens through the verifier with its cache off. */
const referenceOf = (name: string) =>
  name.startsWith('RS256') ? 'RS256 cache off' : name.endsWith('every token new') ? 'HS256 cache off, every token new' : 'HS256 cache off';
/** Median over rounds of (reference cost ÷ scenario cost), both measured in the same round. */
const pairedSpeedup = (name: string, pick: (r: Result) => number) =>
  median((results.get(name) ?? []).map((r, i) => pick(results.get(referenceOf(name))?.[i] ?? r) / pick(r)));

console.log(
  `auth-verify: ${ROUNDS} rounds × ${WINDOW_MS} ms per scenario, interleaved; node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
console.log('');
console.log('| scenario | verifications/s (median, min–max) | µs per call | CPU µs per call | speed-up vs cache off: wall, CPU (paired) |');
console.log('| --- | --- | --- | --- | --- |');
for (const s of SCENARIOS) {
  const rs = results.get(s.name) ?? [];
  const rates = rs.map((r) => r.perSecond);
  console.log(
    `| ${s.name} | ${fmt(median(rates))} (${fmt(Math.min(...rates))}–${fmt(Math.max(...rates))}) | ${fmt(median(rs.map((r) => r.usPerCall)), 2)} | ${fmt(median(rs.map((r) => r.cpuUsPerCall)), 2)} | ${fmt(
      pairedSpeedup(s.name, (r) => r.usPerCall),
      2,
    )}×, ${fmt(
      pairedSpeedup(s.name, (r) => r.cpuUsPerCall),
      2,
    )}× |`,
  );
}
