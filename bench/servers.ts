// Starting the servers under test as real processes on the server core: orderflow from dist/ (the
// real entry point, CONF_PATH, its JSON log going to a file) and the bare grpc-js baseline.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { orderflowYaml, HS256_SECRET_ENV } from './orderflow-config.js';
import { Child } from './processes.js';
import type { ServerKey, ServerSpec } from './scenarios.js';
import type { Credentials } from './tokens.js';

export type RunningServer = Readonly<{
  key: ServerKey;
  spec: ServerSpec;
  child: Child;
  /** host:port of the gRPC listener. */
  address: string;
  /** Where GET /metrics answers (orderflow's admin listener, or the baseline's). */
  adminUrl: string;
  /** orderflow's stdout (its JSON log), when it has one. */
  logFile: string | undefined;
  /** The authorization header value its calls carry, if it checks credentials. */
  authorization: string | undefined;
}>;

export type StartContext = Readonly<{
  root: string;
  dir: string;
  harnessUrl: string;
  credentials: Credentials;
  core: number | undefined;
  /** --server-nice: a priority above the neighbours', for a machine others keep busy (root only for < 0). */
  serverNice: number;
  /** The node executable the servers run on. */
  node: string;
  /** Run under node --cpu-prof, writing the profile here at exit. */
  cpuProfileDir?: string;
}>;

const START_TIMEOUT_MS = 60_000;

export async function startServer(key: ServerKey, spec: ServerSpec, ctx: StartContext): Promise<RunningServer> {
  const profile = ctx.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${ctx.cpuProfileDir}`];
  if (spec.kind === 'baseline') {
    const child = new Child({
      name: spec.label,
      nodeArgs: [...profile, '--import', 'tsx', 'bench/baseline-server.ts'],
      cwd: ctx.root,
      env: {},
      core: ctx.core,
      nice: ctx.serverNice,
      node: ctx.node,
    });
    return served(key, spec, child, undefined, undefined);
  }
  const confPath = join(ctx.dir, `${key}.yaml`);
  writeFileSync(confPath, orderflowYaml(spec, ctx.harnessUrl));
  const logFile = join(ctx.dir, `${key}.log`);
  const env = {
    CONF_PATH: confPath,
    NODE_ENV: 'production',
    ...(spec.auth === 'hs256' ? { [HS256_SECRET_ENV]: ctx.credentials.hs256Secret } : {}),
  };
  const child = new Child({
    name: spec.label,
    nodeArgs: [...profile, 'dist/cmd/server.js'],
    cwd: ctx.root,
    env,
    core: ctx.core,
    nice: ctx.serverNice,
    node: ctx.node,
    stdoutFile: logFile,
  });
  const token = spec.auth === 'rs256' ? ctx.credentials.rs256Token : spec.auth === 'hs256' ? ctx.credentials.hs256Token : undefined;
  return served(key, spec, child, logFile, token === undefined ? undefined : `Bearer ${token}`);
}

async function served(
  key: ServerKey,
  spec: ServerSpec,
  child: Child,
  logFile: string | undefined,
  authorization: string | undefined,
): Promise<RunningServer> {
  const line = await child.nextLine((l) => l.msg === 'serving', START_TIMEOUT_MS);
  return { key, spec, child, address: String(line.grpc), adminUrl: `http://${String(line.admin)}`, logFile, authorization };
}

/** The headers every benchmark call carries to `server`. */
export function callHeaders(server: RunningServer): Record<string, string> {
  return {
    'content-type': 'application/grpc',
    te: 'trailers',
    // A deadline, as real clients send one (both stacks then run their deadline timer).
    'grpc-timeout': '10S',
    ...(server.authorization === undefined ? {} : { authorization: server.authorization }),
  };
}
