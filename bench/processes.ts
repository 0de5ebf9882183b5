// Child processes of the benchmark (servers and load generators): spawned directly (through
// `taskset` when pinned, which execs, so the pid is the program's own), their JSON output lines
// (from a pipe, or polled from the file their stdout goes to), their stderr for error messages,
// and the guarantee that none outlives the benchmark, Ctrl-C included. Also /proc readings.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

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

/** `file args` run on one core (`taskset -c core`), or unpinned when `core` is undefined. */
export function pinned(file: string, args: readonly string[], core: number | undefined): [string, string[]] {
  return core === undefined ? [file, [...args]] : ['taskset', ['-c', String(core), file, ...args]];
}

/** Load generators use little CPU but must answer promptly: as root, they run at nice -10 (servers at 0). */
export const GENERATOR_NICE = process.getuid?.() === 0 ? -10 : 0;

/** `pinned`, and at GENERATOR_NICE: for load generators, so that a busy machine delays them less. */
export function generator(file: string, args: readonly string[], core: number | undefined): [string, string[]] {
  const [command, rest] = pinned(file, args, core);
  return GENERATOR_NICE === 0 ? [command, rest] : ['nice', ['-n', String(GENERATOR_NICE), command, ...rest]];
}

export type SpawnOptions = Readonly<{
  name: string;
  /** Arguments to node. */
  nodeArgs: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  core?: number | undefined;
  /** stdout goes to this file (a real log destination) instead of a pipe. */
  stdoutFile?: string;
  /** A load generator (see `generator`), not a server. */
  isGenerator?: boolean;
  /** Niceness for a server (nice -n); 0 or absent: the default priority. */
  nice?: number;
  /** The node executable (default: the one running the benchmark). */
  node?: string;
}>;

export class Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  private stderrTail = '';
  private partial = '';
  private readonly waiters = new Set<Waiter>();
  private filePosition = 0;

  constructor(private readonly options: SpawnOptions) {
    this.name = options.name;
    const [command, rest] = (options.isGenerator === true ? generator : pinned)(
      options.node ?? process.execPath,
      options.nodeArgs,
      options.core,
    );
    const [file, args] =
      options.nice === undefined || options.nice === 0 ? [command, rest] : ['nice', ['-n', String(options.nice), command, ...rest]];
    const stdout = options.stdoutFile === undefined ? 'pipe' : openSync(options.stdoutFile, 'w');
    // A clean environment: ORDERFLOW_* overrides in the caller's shell must not change the scenario.
    this.process = spawn(file, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', stdout, 'pipe'],
    });
    if (typeof stdout === 'number') closeSync(stdout);
    live.add(this.process);
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => (live.delete(this.process), resolve(code))));
    this.process.stdout?.on('data', (chunk: Buffer) => this.onOutput(chunk));
    this.process.stderr?.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-8000)));
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  stderr(): string {
    return this.stderrTail.trim();
  }

  /** Resolves with the next JSON output line matching `match`; rejects if the child exits first. */
  nextLine(match: (line: Line) => boolean, timeoutMs: number): Promise<Line> {
    return new Promise((resolve, reject) => {
      const poll = this.options.stdoutFile === undefined ? undefined : setInterval(() => this.pollFile(), 50);
      const timer = setTimeout(() => fail(`no matching output within ${timeoutMs} ms`), timeoutMs);
      const done = () => (clearTimeout(timer), clearInterval(poll), this.waiters.delete(waiter));
      const waiter: Waiter = { match, resolve: (line) => (done(), resolve(line)) };
      const fail = (why: string) => {
        done();
        reject(new Error(`${this.name} (pid ${this.pid}): ${why}${this.stderr() === '' ? '' : `\n--- its stderr ---\n${this.stderr()}`}`));
      };
      this.waiters.add(waiter);
      void this.exited.then((code) => fail(`exited with code ${code} before printing the expected line`));
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.process.exitCode;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  private pollFile(): void {
    const fd = openSync(this.options.stdoutFile!, 'r');
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (
        let n = readSync(fd, buffer, 0, buffer.length, this.filePosition);
        n > 0;
        n = readSync(fd, buffer, 0, buffer.length, this.filePosition)
      ) {
        this.filePosition += n;
        this.onOutput(buffer.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Lines are parsed only while someone waits for one. */
  private onOutput(chunk: Buffer): void {
    if (this.waiters.size === 0) {
      this.partial = '';
      return;
    }
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    for (const text of lines) {
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue;
      }
      for (const waiter of this.waiters) if (waiter.match(line)) waiter.resolve(line);
    }
  }
}

let clockTicks: number | undefined;
const ticksPerSecond = () => (clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);

/** CPU seconds (user + system, all threads) the process has used so far, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may contain spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** CPU seconds of work (not idle, not iowait) done so far, on the whole machine and per core, from /proc/stat. */
export function busySeconds(): { all: number; cores: number[] } {
  const busy = (line: string) => {
    // cpuN  user nice system idle iowait irq softirq steal ...
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0) / ticksPerSecond();
  };
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  return { all: busy(lines[0] ?? ''), cores: lines.filter((l) => /^cpu\d+ /.test(l)).map(busy) };
}

/** Resident set size in MiB, from /proc/PID/status. */
export function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Number(match[1]) / 1024;
}
