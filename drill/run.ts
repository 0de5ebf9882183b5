// `npm run drill -- NAME [--short]` and `npm run drill -- all [--short]`: runs fault drills against
// the built server (dist/), each with processes, database, Redis and proxies of its own, prints
// one table per drill and exits 1 when anything acknowledged was lost or duplicated or a promise
// was broken. docs/drills.md explains the tables and holds the latest figures.
import { type DrillContext, requireBuild } from './harness.js';
import { type DrillResult, failures, renderTable } from './report.js';
import { hostileLoadDrill } from './hostile-load.js';
import { kill9Drill } from './kill-9.js';
import { postgresOutageDrill } from './postgres-outage.js';
import { redisOutageDrill } from './redis-outage.js';
import { rollingRestartDrill } from './rolling-restart.js';
import { sigtermDrill } from './sigterm.js';
import { soakDrill } from './soak.js';

type Drill = Readonly<{ name: string; run: (ctx: DrillContext) => Promise<DrillResult>; inAll: boolean }>;

const DRILLS: readonly Drill[] = [
  { name: 'sigterm', run: sigtermDrill, inAll: true },
  { name: 'postgres-outage', run: postgresOutageDrill, inAll: true },
  { name: 'kill-9', run: kill9Drill, inAll: true },
  { name: 'hostile-load', run: hostileLoadDrill, inAll: true },
  { name: 'redis-outage', run: redisOutageDrill, inAll: true },
  { name: 'rolling-restart', run: rollingRestartDrill, inAll: true },
  { name: 'soak', run: soakDrill, inAll: false },
];

const USAGE = `usage: npm run drill -- NAME|all [--short] [--minutes N]
  drills: ${DRILLS.map((d) => d.name).join(', ')} (all runs every one but soak)
  --short    the CI form: each drill under a minute, timing promises with generous bounds
  --minutes  soak only: run this long instead of 10 minutes (the windows compared keep their
             proportions: 20-30 % of the run against 90-100 %), to see whether growth levels off`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const short = args.includes('--short');
  const minutesAt = args.indexOf('--minutes');
  const minutes = minutesAt === -1 ? undefined : Number(args[minutesAt + 1]);
  if (minutes !== undefined && !(Number.isFinite(minutes) && minutes >= 1 && minutes <= 240)) {
    console.error(`--minutes must be a number of minutes from 1 to 240, got ${JSON.stringify(args[minutesAt + 1] ?? '')}\n${USAGE}`);
    return 2;
  }
  const names = args.filter((a, i) => !a.startsWith('--') && (minutesAt === -1 || i !== minutesAt + 1));
  if (names.length === 0 || args.includes('--help')) {
    console.log(USAGE);
    return names.length === 0 && !args.includes('--help') ? 2 : 0;
  }
  const chosen = names.includes('all') ? DRILLS.filter((d) => d.inAll) : names.map((n) => DRILLS.find((d) => d.name === n));
  if (chosen.some((d) => d === undefined)) {
    console.error(`unknown drill in ${names.join(' ')}\n${USAGE}`);
    return 2;
  }
  requireBuild();
  const form = short ? 'short' : 'full';
  const summary: [string, string][] = [];
  for (const drill of chosen as Drill[]) {
    const started = performance.now();
    console.log(`\n=== drill ${drill.name} (${form}) started ${new Date().toISOString()}`);
    const ctx: DrillContext = { form, minutes, log: (line) => console.log(`  [${drill.name}] ${line}`) };
    try {
      const result = await drill.run(ctx);
      console.log(`\n${renderTable(result)}\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
      summary.push([drill.name, failures(result).length === 0 ? 'PASS' : 'FAIL']);
    } catch (error) {
      console.error(`drill ${drill.name} could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      summary.push([drill.name, 'ERROR']);
    }
  }
  console.log(`\nsummary: ${summary.map(([n, v]) => `${n} ${v}`).join(', ')}`);
  return summary.every(([, v]) => v === 'PASS') ? 0 : 1;
}

process.exitCode = await main();
