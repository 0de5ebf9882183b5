// One LISTEN connection per process, shared by everything that follows other processes' commits
// (order events: PostgresEventSignal; export jobs: NotifiedExportJobSignal). It owns the
// connection's lifecycle — connect, reconnect with exponential backoff and jitter (or at once when
// a readiness check finds it down), the readiness ping — and hands each notification to the subscribers of its channel. After every (re)connect it
// tells every subscriber `reconnected`: whatever was notified while nobody listened is lost, so
// each catches up from the store then. Channels are fixed when the hub is made (one LISTEN each on
// connect); subscribers may come and go at any time.
import type { Listen, Listening } from './sql-driver.js';

export type ListenSubscriber = Readonly<{
  /** A notification on the channel subscribed to. */
  heard(payload: string): void;
  /** LISTEN is (again) active: notifications may have been lost before; catch up. */
  reconnected(): void;
}>;

export type ListenHubOptions = Readonly<{
  listen: Listen;
  channels: readonly string[];
  /** Reconnect backoff: from initial, doubling, up to max (each with jitter). */
  reconnect?: Readonly<{ initialMs: number; maxMs: number }>;
  /** Told when LISTEN goes down (with why) and when it is back (error undefined). */
  onChange?: (listening: boolean, error?: unknown) => void;
}>;

export class ListenHub {
  private readonly subscribers = new Map<string, Set<ListenSubscriber>>();
  private connection: Listening | undefined;
  private attempts = 0;
  private closed = false;
  private started: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The connect attempt in flight (one at a time, whoever starts it). */
  private connecting: Promise<void> | undefined;
  private lastError: unknown = new Error('not listening yet');

  constructor(private readonly options: ListenHubOptions) {
    for (const channel of options.channels) this.subscribers.set(channel, new Set());
  }

  /** Starts listening; resolves after the first attempt, connected or not (it keeps retrying). Idempotent. */
  start(): Promise<void> {
    this.started ??= this.connectNow();
    return this.started;
  }

  /** Subscribes to one of the hub's channels; returns the unsubscribe. */
  subscribe(channel: string, subscriber: ListenSubscriber): () => void {
    const set = this.subscribers.get(channel);
    if (set === undefined) throw new Error(`the hub does not LISTEN on ${channel} (only ${this.options.channels.join(', ')})`);
    set.add(subscriber);
    return () => void set.delete(subscriber);
  }

  /**
   * Readiness: resolves while LISTEN is active and its connection answers. A connection that fails
   * the ping, or does not answer before `signal` aborts (a stalled network), is dropped and
   * re-opened: notifications it might still hold are made up for by the subscribers' catch-up.
   */
  async check(signal?: AbortSignal): Promise<void> {
    // Down: try to reconnect now rather than at the next backoff step (up to reconnect.maxMs
    // away), so readiness returns within one check of the database coming back. One attempt per
    // check at most: the checks' interval bounds how often an outage is probed.
    if (this.connection === undefined && !this.closed) await raceAbort(this.connectNow(), signal);
    const connection = this.connection;
    if (connection === undefined) throw new Error('not listening for events (reconnecting)', { cause: this.lastError });
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(new Error('the LISTEN connection did not answer in time'));
        if (signal?.aborted === true) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        connection
          .ping()
          .then(resolve, reject)
          .finally(() => signal?.removeEventListener('abort', onAbort));
      });
    } catch (error) {
      this.dropped(connection, error);
      throw error;
    }
  }

  /** Whether LISTEN is active now (for a metric). */
  listening(): boolean {
    return this.connection !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }

  /** Connects now (cancelling a scheduled retry), or joins the attempt already in flight. */
  private connectNow(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let connection: Listening | undefined;
    try {
      connection = await this.options.listen(
        this.options.channels,
        (channel, payload) => {
          for (const subscriber of this.subscribers.get(channel) ?? []) subscriber.heard(payload);
        },
        (error) => this.dropped(connection, error),
      );
    } catch (error) {
      this.lastError = error;
      this.retry();
      return;
    }
    if (this.closed) return void (await connection.close());
    this.connection = connection;
    this.attempts = 0;
    this.options.onChange?.(true);
    // Whatever was committed while nobody listened.
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.reconnected();
  }

  private dropped(connection: Listening | undefined, error: unknown): void {
    if (connection === undefined || this.connection !== connection) return;
    this.connection = undefined;
    this.lastError = error;
    void connection.close();
    this.options.onChange?.(false, error);
    this.retry();
  }

  private retry(): void {
    if (this.closed) return;
    const { initialMs, maxMs } = this.options.reconnect ?? { initialMs: 100, maxMs: 5000 };
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempts++, 16)) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => void this.connectNow(), delay).unref();
  }
}

/** Waits for `work` until `signal` aborts (the work itself goes on; its outcome is kept by the hub). */
function raceAbort(work: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void work.then(done, done);
  });
}
