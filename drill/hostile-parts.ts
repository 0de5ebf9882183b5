// One part of the hostile-load attack alone against a fresh server (authentication on, no other
// load): `npx tsx drill/hostile-parts.ts idle|big|silent` prints RSS at the baseline, the peak
// (sampled every 100 ms), at the attack's end and 30 s later, in MiB. What docs/drills.md's
// hostile-load finding was measured with, to find which part leaves native memory behind.
import type { ClientHttp2Session } from 'node:http2';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSession, http2Call, openSession, prefix } from '../test/support/http2-raw.js';
import { createDrillDatabase, drillConfig, requireBuild, sleep, startDrillServer } from './harness.js';
import { AUDIENCE, ISSUER, randomSecret } from '../test/support/tokens.js';

const MiB = 1024 * 1024;
const part = process.argv[2] ?? '';
if (!['idle', 'big', 'silent'].includes(part)) {
  console.error('usage: npx tsx drill/hostile-parts.ts idle|big|silent');
  process.exit(2);
}
requireBuild();
const dir = mkdtempSync(join(tmpdir(), 'hp-'));
const secretFile = join(dir, 's');
writeFileSync(secretFile, randomSecret(), { mode: 0o600 });
const db = await createDrillDatabase('hp');
const server = await startDrillServer(
  drillConfig(
    { database: db.database },
    { auth: { enabled: true, jwt: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], hs256Secret: { fromFile: secretFile } } } },
  ),
);
const rss = () => Math.round((server.rssBytes() ?? 0) / MiB);
await sleep(3000);
const base = rss();
let peak = base;
const sampler = setInterval(() => (peak = Math.max(peak, rss())), 100);
const t0 = performance.now();
const address = server.grpcAddress;
if (part === 'idle') {
  const idle: ClientHttp2Session[] = [];
  for (let i = 0; i < 2000; i += 100) idle.push(...(await Promise.all(Array.from({ length: 100 }, () => openSession(address)))));
  await sleep(3000);
  for (const s of idle) s.destroy();
} else if (part === 'big') {
  const sessions = await Promise.all(Array.from({ length: 100 }, () => openSession(address)));
  const body = Buffer.concat([prefix(0, 4 * MiB - 64), Buffer.alloc(4 * MiB - 64, 0x0a)]);
  const outs = await Promise.all(
    sessions.map((s) => http2Call(s, { path: '/orderflow.orders.v1.OrderService/CreateOrder', body, timeoutMs: 60_000 })),
  );
  console.log(`large requests not refused UNAUTHENTICATED: ${outs.filter((o) => o.grpcStatus !== 16).length}`);
  await Promise.all(sessions.map((s) => closeSession(s)));
} else {
  const sessions = await Promise.all(Array.from({ length: 4 }, () => openSession(address)));
  const outs = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      http2Call(sessions[i % 4]!, {
        path: '/orderflow.orders.v1.OrderService/WatchOrders',
        body: Buffer.alloc(0),
        endStream: false,
        timeoutMs: 60_000,
      }).then((o) => ({ ...o, at: performance.now() - t0 })),
    ),
  );
  console.log(`silent streams all ended within ${Math.round(Math.max(...outs.map((o) => o.at)))} ms`);
  await Promise.all(sessions.map((s) => closeSession(s)));
}
const ended = rss();
await sleep(30_000);
clearInterval(sampler);
console.log(
  JSON.stringify({
    part,
    baseMiB: base,
    peakMiB: peak,
    atEndMiB: ended,
    after30sMiB: rss(),
    attackMs: Math.round(performance.now() - t0 - 30000),
  }),
);
await server.dispose();
await db.drop();
process.exit(0);
