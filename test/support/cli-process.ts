// The orderflow CLI as users run it: a real child process (node + tsx on src/cli/main.ts) whose
// stdout, stderr and exit code the tests read, and to which they send real signals.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type CliResult = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

export type CliProcess = {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with everything written so far once `stream` contains `text`. */
  waitFor(stream: 'stdout' | 'stderr', text: string, timeoutMs?: number): Promise<string>;
  exited: Promise<CliResult>;
};

/** Starts `orderflow --addr <addr> ...args`; stdin stays open until the test ends it. */
export function startCli(addr: string, args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--addr', addr, ...args], { cwd: REPO_ROOT });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
  const exited = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, ...output })));
  // Generous: the bound only catches a hang, on a machine that may be busy.
  const waitFor = (stream: 'stdout' | 'stderr', text: string, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!output[stream].includes(text)) return;
        clearTimeout(timer);
        child[stream].off('data', check);
        resolve(output[stream]);
      };
      const timer = setTimeout(
        () => reject(new Error(`no "${text}" on ${stream}; stdout: ${output.stdout}\nstderr: ${output.stderr}`)),
        timeoutMs,
      );
      child[stream].on('data', check);
      check();
    });
  return { child, waitFor, exited };
}

/** Runs the CLI to its end with `stdin` as its input (empty by default). */
export async function runCli(addr: string, args: readonly string[], stdin = ''): Promise<CliResult> {
  const cli = startCli(addr, args);
  cli.child.stdin.end(stdin);
  return cli.exited;
}

/** The lines of an NDJSON output. */
export function jsonLines<T = { event: { sequence: string; type: string; order: { id: string; status: string } } }>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);
}
