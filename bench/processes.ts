// Child processes of the benchmark: spawned as `node --import tsx <file>` (not through the tsx
// CLI, which would put a wrapper process between us and the server, so that the pid we read RSS
// and CPU from would be the wrapper's), their JSON stdout lines, their stderr for error messages,
// and the guarantee that none outlives the benchmark, Ctrl-C included.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

type Line = Record<string, unknown>;
type Waiter = { match(line: Line): boolean; resolve(line: Line): void };

const live = new Set<ChildProcess>();

/** Kills every child still running when this process exits, however it exits. */
export function killChildrenOnExit(): void {
  const killAll = () => {
    for (const child of live) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping ${live.size} child process(es)`);
      killAll();
      process.exit(130);
    });
  }
}

export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Bytes and lines written to stdout (the telemetry-on server's access log). */
  stdoutBytes = 0;
  stdoutLines = 0;
  private stderrTail = '';
  private partial = '';
  private readonly waiters = new Set<Waiter>();

  constructor(
    readonly name: string,
    file: string,
    args: readonly string[],
    cwd: string,
    env: Record<string, string>,
  ) {
    // A clean environment: ORDERFLOW_* overrides in the caller's shell must not change the scenario.
    this.process = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.process);
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => (live.delete(this.process), resolve(code))));
    this.process.stdout?.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.process.stderr?.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-8000)));
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  stderr(): string {
    return this.stderrTail.trim();
  }

  /** Resolves with the next stdout JSON line matching `match`; rejects if the child exits first. */
  nextLine(match: (line: Line) => boolean, timeoutMs: number): Promise<Line> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`no matching output within ${timeoutMs} ms`), timeoutMs);
      const waiter: Waiter = { match, resolve: (line) => (clearTimeout(timer), this.waiters.delete(waiter), resolve(line)) };
      const fail = (why: string) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        reject(new Error(`${this.name} (pid ${this.pid}): ${why}${this.stderr() === '' ? '' : `\n--- its stderr ---\n${this.stderr()}`}`));
      };
      this.waiters.add(waiter);
      void this.exited.then((code) => fail(`exited with code ${code} before printing the expected line`));
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Lines are parsed only while someone waits for one: the access log is counted, not parsed. */
  private onStdout(chunk: Buffer): void {
    this.stdoutBytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.stdoutLines += 1;
    if (this.waiters.size === 0) {
      this.partial = '';
      return;
    }
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const text of lines) this.dispatch(text);
  }

  private dispatch(text: string): void {
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch {
      return;
    }
    for (const waiter of this.waiters) if (waiter.match(line)) waiter.resolve(line);
  }
}

let clockTicks: number | undefined;
const ticksPerSecond = () => (clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);

/** CPU seconds (user + system) the process has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  const clockTicks = ticksPerSecond();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may contain spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** CPU seconds every process on the machine has used so far (all cores): shows how busy others kept it. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu  user nice system idle iowait irq softirq steal ...: everything but idle and iowait is work.
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0) / ticksPerSecond();
}

/** Resident set size in MiB, from /proc/<pid>/status. */
export function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Number(match[1]) / 1024;
}
