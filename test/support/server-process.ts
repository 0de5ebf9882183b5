// Runs the real server entry point (src/cmd/server.ts) as a child process, the way an operator
// does, and reads its JSON log lines to learn its ports.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Spawns the server with CONF_PATH pointing at `configYaml` (written to a temp file). */
export type Exit = { code: number | null; signal: NodeJS.Signals | null; afterMs: number };

export function spawnServer(configYaml: string, env: Record<string, string> = {}, entryPoint = 'src/cmd/server.ts') {
  const dir = mkdtempSync(join(tmpdir(), 'orderflow-proc-'));
  const confPath = join(dir, 'config.yaml');
  writeFileSync(confPath, configYaml);
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', entryPoint], {
    env: { PATH: process.env.PATH ?? '', CONF_PATH: confPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collect(child);
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, afterMs: Date.now() - started })),
  );
  return { child, output, exited, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function collect(child: ChildProcess) {
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  const listeners = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: line, unparsed: true });
    }
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    lines,
    stderr: () => stderr,
    /** Resolves with the first log line matching `predicate`. */
    waitFor(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 120_000): Promise<Record<string, unknown>> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(predicate);
          if (found === undefined) return false;
          listeners.delete(onLine);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const onLine = () => void check();
        const timer = setTimeout(() => {
          listeners.delete(onLine);
          reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}; lines: ${JSON.stringify(lines.slice(-5))}`));
        }, timeoutMs);
        if (!check()) listeners.add(onLine);
        child.once('exit', () => {
          if (!check()) {
            clearTimeout(timer);
            reject(new Error(`the server exited before logging the line; stderr: ${stderr}`));
          }
        });
      });
    },
  };
}

/** Spawns the server and waits until it logs "serving"; resolves with its addresses. */
export async function startServerProcess(configYaml: string, env: Record<string, string> = {}) {
  const spawned = spawnServer(configYaml, env);
  const serving = await spawned.output.waitFor((l) => l.msg === 'serving');
  return {
    ...spawned,
    grpcAddress: serving.grpc as string,
    adminUrl: `http://${serving.admin as string}`,
  };
}

/** Spawns the worker entry point (src/cmd/worker.ts) and waits until it takes jobs. */
export async function startWorkerProcess(configYaml: string, env: Record<string, string> = {}) {
  const spawned = spawnServer(configYaml, env, 'src/cmd/worker.ts');
  const ready = await spawned.output.waitFor((l) => l.msg === 'worker taking export jobs');
  return { ...spawned, adminUrl: `http://${ready.admin as string}` };
}
