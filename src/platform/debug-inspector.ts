// V8 CPU profiles and heap snapshots for the debug endpoints, taken through an in-process
// inspector session: no --inspect port is opened, so nothing outside this process can attach.
import { Session } from 'node:inspector/promises';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Records a CPU profile for `ms`, or until `signal` aborts (the client went away).
 * Resolves the profile as JSON (Chrome DevTools loads it as a .cpuprofile), or undefined if aborted.
 */
export async function recordCpuProfile(ms: number, signal: AbortSignal): Promise<string | undefined> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const completed = await sleep(ms, signal);
    // Stopped even when nobody will read it, so the profiler does not keep sampling.
    const { profile } = await session.post('Profiler.stop');
    return completed ? JSON.stringify(profile) : undefined;
  } finally {
    // Disconnecting also disables the profiler if start or stop failed half-way.
    session.disconnect();
  }
}

/**
 * Takes a heap snapshot, handing each chunk to `write` as V8 emits it so the snapshot is never
 * joined into one string. V8 emits every chunk inside the one takeHeapSnapshot call (the event
 * loop is blocked meanwhile), so the caller cannot apply backpressure. Resolves the bytes written.
 */
export async function takeHeapSnapshot(write: (chunk: string) => void): Promise<number> {
  const session = new Session();
  session.connect();
  let bytes = 0;
  session.on('HeapProfiler.addHeapSnapshotChunk', ({ params }) => {
    bytes += Buffer.byteLength(params.chunk);
    write(params.chunk);
  });
  try {
    await session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    return bytes;
  } finally {
    session.disconnect();
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch (error) {
    if (signal.aborted) return false;
    throw error;
  }
}
