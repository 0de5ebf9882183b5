/**
 * Readiness state: a `serving` flag (false before start and from the first moment of shutdown)
 * and named dependency checks. A readiness check failing makes the process unready; an
 * informational one (a dependency whose loss only degrades the service, such as a cache) is
 * reported beside them and changes nothing else. Liveness means only that the event loop
 * answers. Transports (admin HTTP, grpc.health.v1) read this; it knows nothing of them.
 */
export type CheckResult = Readonly<{ ok: boolean; durationMs: number; error?: string; informational?: true }>;
export type HealthReport = Readonly<{ serving: boolean; ready: boolean; checks: Readonly<Record<string, CheckResult>> }>;
type Check = (signal: AbortSignal) => Promise<void>;
export type CheckKind = 'readiness' | 'informational';

export type Health = ReturnType<typeof createHealth>;

/** While unready, checks run at least this often, so that recovery is seen within about this long. */
const UNREADY_RECHECK_MS = 500;

export function createHealth(options: {
  checkTimeoutMs: number;
  checkIntervalMs: number;
  onCheckFailed?: (name: string, error: unknown) => void;
}) {
  const checks = new Map<string, { check: Check; kind: CheckKind }>();
  const listeners = new Set<(ready: boolean) => void>();
  let serving = false;
  let lastReady = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<HealthReport> | undefined;

  async function runCheck(name: string, { check, kind }: { check: Check; kind: CheckKind }): Promise<CheckResult> {
    const tag = kind === 'informational' ? { informational: true as const } : {};
    const started = performance.now();
    const signal = AbortSignal.timeout(options.checkTimeoutMs);
    try {
      await Promise.race([
        check(signal),
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error(`timed out after ${options.checkTimeoutMs} ms`))),
        ),
      ]);
      return { ok: true, durationMs: Math.round(performance.now() - started), ...tag };
    } catch (error) {
      // An informational check's owner reports its own outages; this one would repeat every interval.
      if (kind === 'readiness') options.onCheckFailed?.(name, error);
      return {
        ok: false,
        durationMs: Math.round(performance.now() - started),
        error: error instanceof Error ? error.message : String(error),
        ...tag,
      };
    }
  }

  function publish(ready: boolean): void {
    if (ready === lastReady) return;
    lastReady = ready;
    for (const listener of [...listeners]) listener(ready);
  }

  async function report(): Promise<HealthReport> {
    const results = await Promise.all([...checks].map(async ([name, check]) => [name, await runCheck(name, check)] as const));
    const ready = serving && results.every(([, r]) => r.ok || r.informational === true);
    publish(ready);
    return { serving, ready, checks: Object.fromEntries(results) };
  }

  /** The periodic check: every interval while ready, every UNREADY_RECHECK_MS while not. */
  function schedule(): void {
    clearTimeout(timer);
    if (!serving) return;
    const delay = lastReady ? options.checkIntervalMs : Math.min(options.checkIntervalMs, UNREADY_RECHECK_MS);
    timer = setTimeout(() => void recheck(), delay).unref();
  }

  /** One report at a time: a check asked for while one runs gets that one's result. */
  function recheck(): Promise<HealthReport> {
    running ??= report().finally(() => {
      running = undefined;
      schedule();
    });
    return running;
  }

  return {
    /** A named check: `readiness` (the default) decides readiness; `informational` is only reported. */
    addCheck(name: string, check: Check, kind: CheckKind = 'readiness'): void {
      checks.set(name, { check, kind });
    },
    /** Runs every check now; ready = serving and every readiness check passed. */
    report,
    /** The readiness seen by the last report (or serving flag change). */
    isReady: () => lastReady,
    /** Resolves with the new readiness when it next changes; rejects with the signal's reason on abort. */
    changed(signal: AbortSignal): Promise<boolean> {
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          listeners.delete(listener);
          reject(signal.reason as Error);
        };
        const listener = (ready: boolean) => {
          listeners.delete(listener);
          signal.removeEventListener('abort', onAbort);
          resolve(ready);
        };
        if (signal.aborted) return onAbort();
        listeners.add(listener);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    /**
     * A dependency just failed a call (the store unreachable): check now rather than at the next
     * interval, so readiness follows within one check timeout.
     */
    suspect(): void {
      if (serving) void recheck();
    },
    /** Start reporting SERVING (after checks pass) and re-check every interval. */
    start(): Promise<HealthReport> {
      serving = true;
      return recheck();
    },
    /** NOT_SERVING from now on: the first step of shutdown. */
    stop(): void {
      serving = false;
      clearTimeout(timer);
      timer = undefined;
      publish(false);
    },
  };
}
