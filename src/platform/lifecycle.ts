// Process lifecycle: resources closed in reverse order of creation, and the signal handling that
// turns SIGINT/SIGTERM into one orderly stop (a second signal forces it).
import type { Logger } from 'pino';

type Closer = { name: string; close: () => Promise<void> };

/** Closes resources in reverse order of registration, each within a time budget. */
export class Closers {
  private readonly closers: Closer[] = [];

  constructor(private readonly log: Logger) {}

  add(name: string, close: () => Promise<void>): void {
    this.closers.push({ name, close });
  }

  /** Resolves true if everything closed cleanly within `timeoutMs` each. */
  async closeAll(timeoutMs: number): Promise<boolean> {
    let clean = true;
    for (const { name, close } of this.closers.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          close(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not close within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        this.log.debug({ resource: name }, 'closed');
      } catch (error) {
        clean = false;
        this.log.error({ resource: name, err: error }, 'failed to close');
      } finally {
        clearTimeout(timer);
      }
    }
    return clean;
  }
}

export type Stoppable = {
  /** Orderly stop; resolves with the process exit code (0 when everything drained in time). */
  stop(): Promise<number>;
  /** Cancels whatever is still running so that stop() finishes at once. */
  force(): void;
};

/**
 * On the first SIGINT/SIGTERM runs `app.stop()` and exits with its code; a second signal calls
 * `app.force()`. `hardLimitMs` after the first signal the process exits with 1 whatever happens.
 */
export function onShutdownSignal(app: Stoppable, log: Logger, options: { hardLimitMs: number; exit?: (code: number) => void }): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: cancelling in-flight calls now');
      app.force();
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.fatal({ limit_ms: options.hardLimitMs }, 'shutdown did not finish in time; exiting');
      exit(1);
    }, options.hardLimitMs).unref();
    app.stop().then(
      (code) => exit(code),
      (error: unknown) => {
        log.fatal({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** An error nobody handled leaves the process in an unknown state: log it and exit non-zero. */
export function exitOnFatalErrors(log: Logger): void {
  const die = (error: unknown) => {
    log.fatal({ err: error }, 'unhandled error; exiting');
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
}
