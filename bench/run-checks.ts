// Checks over the whole run, once the rounds are over: the production servers really wrote one
// access-log line per call (pino's own output, to a file) and exported spans at about the sampled
// share; the RS256 servers fetched their JWKS.
import { readFileSync } from 'node:fs';
import type { HarnessHttp } from './harness-http.js';
import { scrape, sum } from './server-counters.js';
import type { RunningServer } from './servers.js';

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

export async function endOfRunChecks(servers: readonly RunningServer[], harness: HarnessHttp): Promise<string[]> {
  const lines: string[] = [];
  let calls = 0;
  for (const server of servers) {
    if (server.spec.kind !== 'orderflow' || !server.spec.production || server.logFile === undefined) continue;
    const handled = sum(await scrape(server.adminUrl), 'grpc_server_handled_total', {}).get('') ?? 0;
    calls += handled;
    // pino writes asynchronously: give the last lines a moment to reach the file.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const log = readFileSync(server.logFile, 'latin1');
    const finished = count(log, '"msg":"finished call"');
    lines.push(
      `${server.key}: ${finished} "finished call" lines (${(log.length / 2 ** 20).toFixed(0)} MiB of JSON log in a file) for ${handled} calls in grpc_server_handled_total${finished === handled ? ' (equal)' : ' (DIFFERENT)'}`,
    );
  }
  const traces = harness.traces();
  lines.push(
    `OTLP sink: ${traces.requests} export requests, ${traces.spans} spans (${(traces.bytes / 2 ** 20).toFixed(1)} MiB) for ${calls} calls to the production servers: ${((traces.spans / Math.max(1, calls)) * 100).toFixed(1)} spans per 100 calls at sampleRatio 0.1`,
  );
  lines.push(`JWKS: fetched ${harness.jwksFetches()} time(s) from the harness`);
  return lines;
}
