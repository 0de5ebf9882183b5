// Starts test/support/event-writer.ts as a child process and drives it: commitUpTo(n) resolves
// once that process has committed events up to sequence n.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export type EventWriterProcess = Readonly<{ pid: number; commitUpTo(sequence: bigint): Promise<void>; stop(): Promise<void> }>;

export function startEventWriter(db: { host: string; port: number; user: string; database: string }): EventWriterProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/event-writer.ts', db.host, String(db.port), db.user, db.database],
    {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const answers: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => answers.shift()?.(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let queue = Promise.resolve();
  return {
    pid: child.pid ?? 0,
    commitUpTo(sequence) {
      const turn = queue.then(
        () =>
          new Promise<void>((resolve, reject) => {
            const onExit = () => reject(new Error(`the event writer exited; stderr: ${stderr}`));
            child.once('exit', onExit);
            answers.push(() => {
              child.off('exit', onExit);
              resolve();
            });
            child.stdin.write(`${sequence}\n`);
          }),
      );
      queue = turn.catch(() => undefined);
      return turn;
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}
