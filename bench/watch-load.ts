// The WatchOrders load generator, a process of its own pinned to the load core. It keeps
// `connections` × `streams` WatchOrders streams open over raw node:http2 (no gRPC library): each
// replays the server's pre-filled log of `events` events from the start, is cancelled once it has
// them all, and is reopened at once, so the server is always replaying. It only splits DATA into
// gRPC frames and counts them; it decodes the first and last message of every replay to check
// they are events 1 and `events`. Any trailer (a watch never ends by itself), a short replay or
// a stall is an error. JSON lines on stdout, as the orchestrator expects:
//   {"event":"measuring"} / {"event":"measured"} when the window opens / closes,
//   {"event":"result", ...} after it.
import { type ClientHttp2Session, connect, constants } from 'node:http2';
import { parseArgs } from 'node:util';
import { WATCH_FROM_START, WATCH_ORDERS } from './contract.js';
import { grpcFrame, GrpcFrameReader } from './grpc-frame.js';

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    connections: { type: 'string', default: '2' },
    streams: { type: 'string', default: '4' },
    events: { type: 'string' },
    warmup: { type: 'string', default: '2' },
    duration: { type: 'string', default: '5' },
  },
});
const events = Number(values.events);
const options = {
  address: values.address ?? '',
  connections: Number(values.connections),
  streams: Number(values.streams),
  warmupS: Number(values.warmup),
  durationS: Number(values.duration),
};
const authorization = process.env.BENCH_AUTHORIZATION;
const body = grpcFrame(WATCH_ORDERS.request.encode(WATCH_FROM_START).finish());
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const tally = { measuring: false, messages: 0, bytes: 0, replays: 0, totalMessages: 0, lastProgress: performance.now() };
const errors: string[] = [];
const fail = (why: string) => {
  if (errors.length < 5) errors.push(why);
};

function checkSequence(index: number, bytes: Buffer | undefined): void {
  const sequence = WATCH_ORDERS.response.decode(bytes!).event?.sequence;
  if (sequence !== BigInt(index + 1)) fail(`message ${index + 1} of a replay had sequence ${String(sequence)}`);
}

/** One stream slot: a watch that replays the log, then is cancelled and opened again. */
function watch(session: ClientHttp2Session, running: () => boolean): void {
  const headers = {
    ':method': 'POST',
    ':path': WATCH_ORDERS.path,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...(authorization === undefined ? {} : { authorization }),
  };
  const stream = session.request(headers);
  let done = false;
  const reader = new GrpcFrameReader(
    (index, bytes) => {
      tally.totalMessages += 1;
      tally.lastProgress = performance.now();
      if (tally.measuring) tally.messages += 1;
      if (bytes !== undefined) checkSequence(index, bytes);
      if (index + 1 < events) return;
      done = true;
      tally.replays += 1;
      stream.close(constants.NGHTTP2_CANCEL);
      if (running()) watch(session, running);
    },
    (index) => index === 0 || index === events - 1,
  );
  stream.on('response', (h) => {
    if (h[':status'] !== 200 || h['grpc-status'] !== undefined)
      fail(`HTTP ${String(h[':status'])}, grpc-status ${String(h['grpc-status'])}: ${String(h['grpc-message'] ?? '')}`);
  });
  stream.on('data', (chunk: Buffer) => {
    if (tally.measuring) tally.bytes += chunk.length;
    if (!done) reader.push(chunk);
  });
  stream.on('trailers', (t: Record<string, string | undefined>) =>
    fail(
      `the watch ended after ${reader.messages} of ${events} messages: grpc-status ${String(t['grpc-status'])} ${String(t['grpc-message'] ?? '')}`,
    ),
  );
  stream.on('error', (error: Error) => {
    if (!done) fail(`stream error after ${reader.messages} messages: ${error.message}`);
  });
  stream.end(body);
}

function open(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // Wide flow-control windows: the server should never wait for this client's WINDOW_UPDATEs.
    const session = connect(`http://${address}`, { settings: { initialWindowSize: 16 * 1024 * 1024 } });
    session.once('connect', () => {
      session.setLocalWindowSize(64 * 1024 * 1024);
      resolve(session);
    });
    session.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  if (!Number.isInteger(events) || events < 2 || options.address === '')
    throw new Error('--address and --events (at least 2) are required');
  const sessions = await Promise.all(Array.from({ length: options.connections }, () => open(options.address)));
  let running = true;
  for (const session of sessions) for (let i = 0; i < options.streams; i++) watch(session, () => running);
  const stall = setInterval(() => {
    if (performance.now() - tally.lastProgress > 10_000) fail('no message for 10 s');
  }, 1000);
  await sleep(options.warmupS * 1000);
  const cpuBefore = process.cpuUsage();
  const openedAt = performance.now();
  tally.measuring = true;
  emit({ event: 'measuring' });
  await sleep(options.durationS * 1000);
  tally.measuring = false;
  const windowS = (performance.now() - openedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  emit({ event: 'measured' });
  running = false;
  clearInterval(stall);
  for (const session of sessions) session.destroy();
  const { messages, bytes, replays, totalMessages } = tally;
  emit({
    event: 'result',
    messages,
    bytes,
    replays,
    totalMessages,
    windowS,
    rate: messages / windowS,
    generatorCpuPct: ((cpu.user + cpu.system) / 1e6 / windowS) * 100,
    errors,
  });
}

main().catch((error: unknown) => {
  console.error(`watch-load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
