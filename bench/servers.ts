// Starting the servers under test as real processes, and the OTLP sink they export spans to.
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Child } from './processes.js';
import { type OrderflowSettings, orderflowYaml, type Ports, type Scenario } from './scenarios.js';

export type RunningServer = Readonly<{ scenario: Scenario; child: Child; address: string; adminUrl?: string }>;

const START_TIMEOUT_MS = 60_000;

/** An HTTP server that reads and discards every body, so the exporter pays for a real round trip. */
export type Sink = Readonly<{ url: string; requests(): number; bytes(): number; close(): Promise<void> }>;

export async function startSink(): Promise<Sink> {
  let requests = 0;
  let bytes = 0;
  const server: HttpServer = createHttpServer((req, res) => {
    requests += 1;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    bytes: () => bytes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function startServer(scenario: Scenario, root: string, dir: string, sink: Sink): Promise<RunningServer> {
  return scenario.orderflow === undefined ? startBaseline(scenario, root) : startOrderflow(scenario, scenario.orderflow, root, dir, sink);
}

async function startBaseline(scenario: Scenario, root: string): Promise<RunningServer> {
  const child = new Child(scenario.label, join(root, 'bench/baseline-server.ts'), [], root, {});
  const serving = await child.nextLine((line) => line.msg === 'serving', START_TIMEOUT_MS);
  return { scenario, child, address: `127.0.0.1:${Number(serving.port)}` };
}

/**
 * Started as in production (the real entry point, CONF_PATH). Ports come from the `serving` log
 * line, which is logged at info: a scenario logging at warn never prints it, so for those the
 * benchmark reserves two free ports itself and waits for /health/ready instead.
 */
async function startOrderflow(scenario: Scenario, settings: OrderflowSettings, root: string, dir: string, sink: Sink): Promise<RunningServer> {
  const quiet = settings.logLevel !== 'info';
  const ports: Ports = quiet ? await reservePorts() : { grpc: 0, admin: 0 };
  const confPath = join(dir, `${scenario.key}.yaml`);
  writeFileSync(confPath, orderflowYaml(settings, ports, sink.url));
  const child = new Child(scenario.label, join(root, 'src/cmd/server.ts'), [], root, { CONF_PATH: confPath });
  if (quiet) {
    const adminUrl = `http://127.0.0.1:${ports.admin}`;
    await waitUntilReady(child, adminUrl);
    return { scenario, child, address: `127.0.0.1:${ports.grpc}`, adminUrl };
  }
  const serving = await child.nextLine((line) => line.msg === 'serving', START_TIMEOUT_MS);
  return { scenario, child, address: String(serving.grpc), adminUrl: `http://${String(serving.admin)}` };
}

/** Two free loopback ports (held together so they differ). Another process could take one before the server binds it; the start then fails loudly. */
async function reservePorts(): Promise<Ports> {
  const holders = [createNetServer(), createNetServer()];
  await Promise.all(holders.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  const [grpc, admin] = holders.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(holders.map((s) => new Promise((resolve) => s.close(resolve))));
  return { grpc: grpc!, admin: admin! };
}

async function waitUntilReady(child: Child, adminUrl: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    const ready = await fetch(`${adminUrl}/health/ready`).then((r) => r.ok, () => false);
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const why = exited ? `exited with code ${child.process.exitCode}` : `not ready within ${START_TIMEOUT_MS} ms`;
  throw new Error(`${child.name} (pid ${child.pid}): ${why}${child.stderr() === '' ? '' : `\n--- its stderr ---\n${child.stderr()}`}`);
}

/** grpc_server_handled_total{grpc_method=<method>, grpc_code="OK"} from a /metrics scrape. */
export async function handledOk(adminUrl: string, method: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('grpc_server_handled_total{') && l.includes(`grpc_method="${method}"`) && l.includes('grpc_code="OK"'));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf('}') + 1).trim().split(' ')[0]);
}
