// `npm run bench -- --profile NAME`: one scenario, its server under node --cpu-prof, one warm-up
// and one measured run (--duration, default 20 s, so the server's start is a small part of the
// profile), then a clean stop (the profile is written at exit) and the top entries by self time.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CpuProfile, profileTable, summariseProfile } from './cpu-profile.js';
import { type MeasureContext, measureUnary, measureWatch } from './measure.js';
import { ALL_SCENARIOS as SCENARIOS, SERVERS } from './scenarios.js';
import { type StartContext, startServer } from './servers.js';
import { prepareTarget } from './targets.js';

function newestProfile(dir: string): string {
  // Worker threads (tsx's loader, for the baseline) write profiles too: the main thread's is the largest.
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const largest = files.sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
  if (largest === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
  return join(dir, largest);
}

export async function runProfile(name: string, startCtx: StartContext, ctx: MeasureContext): Promise<void> {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined) throw new Error(`--profile needs one scenario name; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const cpuProfileDir = join(ctx.dir, 'profile');
  const server = await startServer(scenario.server, SERVERS[scenario.server], { ...startCtx, cpuProfileDir });
  let measured;
  try {
    const target = await prepareTarget(scenario, server, ctx.dir);
    measured =
      target.kind === 'unary' ? await measureUnary(scenario, server, target, 1, ctx) : await measureWatch(scenario, server, target, 1, ctx);
  } finally {
    const code = await server.child.stop();
    if (code !== 0) console.warn(`${server.key} exited with code ${code}`);
  }
  const summary = summariseProfile(JSON.parse(readFileSync(newestProfile(cpuProfileDir), 'utf8')) as CpuProfile, ctx.root);
  const text = [
    `## CPU profile: ${scenario.name} (${SERVERS[scenario.server].label})`,
    '',
    `${new Date().toISOString()}: ${measured.ops} ${scenario.load.kind === 'watch' ? 'messages' : 'calls'} at ${measured.rate.toFixed(0)}/s, ${measured.cpuUsPerOp.toFixed(0)} µs server CPU each (the run was itself checked like every other). ` +
      `The profile covers the whole process life: ${(summary.totalMs / 1000).toFixed(1)} s, of which ${(summary.busyMs / 1000).toFixed(1)} s busy on the main thread (start-up included). Self time by function, as a share of the busy time:`,
    '',
    profileTable(summary, ctx.options.top),
    '',
  ].join('\n');
  console.log(`\n${text}`);
  writeFileSync(ctx.options.out, text);
  console.log(`wrote ${ctx.options.out}`);
}
