// The reference for the hostile-load drill's idle connections: a bare Node.js HTTP/2 server (no
// grpc-js, no orderflow) and 2,000 idle client sessions from a child process. Prints the server's
// memory (RSS / V8 heap total / heap used / external, MiB) before, with the sessions open, and 5 s
// after they closed (after a full GC). `node --expose-gc --import tsx drill/bare-http2-idle.ts`.
import { fork } from 'node:child_process';
import { type ClientHttp2Session, connect, createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const SESSIONS = 2000;
const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
const memory = () => {
  const m = process.memoryUsage();
  return `${mib(m.rss)} / ${mib(m.heapTotal)} / ${mib(m.heapUsed)} / ${mib(m.external)}`;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const gc = () => (globalThis as { gc?: () => void }).gc?.();

if (process.argv[2] === 'client') {
  const sessions: ClientHttp2Session[] = [];
  for (let i = 0; i < SESSIONS; i += 100) {
    const batch = Array.from(
      { length: 100 },
      () =>
        new Promise<ClientHttp2Session>((resolve, reject) => {
          const session = connect(`http://127.0.0.1:${process.argv[3]}`);
          session.once('connect', () => resolve(session));
          session.once('error', reject);
        }),
    );
    sessions.push(...(await Promise.all(batch)));
  }
  process.send?.('open');
  process.once('message', () => {
    for (const session of sessions) session.destroy();
    setTimeout(() => process.exit(0), 500);
  });
} else {
  const server = createServer();
  server.on('stream', (stream) => stream.respond({ ':status': 200 }, { endStream: true }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await sleep(1000);
  gc();
  const before = memory();
  const child = fork(fileURLToPath(import.meta.url), ['client', String((server.address() as AddressInfo).port)], {
    execArgv: ['--import', 'tsx'],
  });
  await new Promise((resolve) => child.once('message', resolve));
  await sleep(1000);
  const open = memory();
  child.send('close');
  await new Promise((resolve) => child.once('exit', resolve));
  await sleep(5000);
  gc();
  console.log(`RSS / heap total / heap used / external (MiB): before ${before}; ${SESSIONS} sessions open ${open}; after ${memory()}`);
  server.close();
}
