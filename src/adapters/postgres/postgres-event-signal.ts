// EventSignal across processes on one database: every event append notifies EVENTS_CHANNEL in its
// transaction (order-repository.ts), and this adapter LISTENs on a connection of its own and wakes
// this process's readers. A notification can be lost (the connection drops, a reconnect is under
// way), so the log's head is read again after every (re)connect and every catchUpIntervalMs: a
// lost notification delays an event by at most that interval, it never drops it.
import type { EventSignal } from '../../domain/ports.js';
import { LocalEventSignal } from '../local-event-signal.js';
import { EVENTS_CHANNEL, type Listen, type Listening } from './sql-driver.js';

export type PostgresEventSignalOptions = Readonly<{
  listen: Listen;
  /** The log's last committed sequence (OrderEventLog.head). */
  head: () => Promise<bigint>;
  /** Safety net: the head is read this often even when notifications arrive. */
  catchUpIntervalMs: number;
  /** Reconnect backoff: from initial, doubling, up to max (each with jitter). */
  reconnect?: Readonly<{ initialMs: number; maxMs: number }>;
  /** Told when LISTEN goes down (with why) and when it is back (error undefined). */
  onChange?: (listening: boolean, error?: unknown) => void;
  /** Wakes the readers of this process; shared with local commits so they need no round trip. */
  local?: LocalEventSignal;
}>;

export class PostgresEventSignal implements EventSignal {
  private readonly local: LocalEventSignal;
  private connection: Listening | undefined;
  private attempts = 0;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly catchUpTimer: NodeJS.Timeout;
  private lastError: unknown = new Error('not listening for events yet');

  constructor(private readonly options: PostgresEventSignalOptions) {
    this.local = options.local ?? new LocalEventSignal();
    this.catchUpTimer = setInterval(() => void this.catchUp(), options.catchUpIntervalMs).unref();
  }

  /** Starts listening; resolves after the first attempt, connected or not (it keeps retrying). */
  async start(): Promise<void> {
    await this.connect();
  }

  wait(afterSequence: bigint, signal: AbortSignal): Promise<void> {
    return this.local.wait(afterSequence, signal);
  }

  /** A commit of this process (the store's onCommit): wakes local readers at once. */
  notify(sequence: bigint): void {
    this.local.notify(sequence);
  }

  /**
   * Readiness: resolves while LISTEN is active and its connection answers. A connection that fails
   * the ping, or does not answer before `signal` aborts (a stalled network), is dropped and
   * re-opened: notifications it might still hold are made up for by the catch-up.
   */
  async check(signal?: AbortSignal): Promise<void> {
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
    clearInterval(this.catchUpTimer);
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let connection: Listening | undefined;
    try {
      connection = await this.options.listen(
        EVENTS_CHANNEL,
        (payload) => this.heard(payload),
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
    await this.catchUp();
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
    this.retryTimer = setTimeout(() => void this.connect(), delay).unref();
  }

  private heard(payload: string): void {
    if (/^\d+$/.test(payload)) this.local.notify(BigInt(payload));
    else void this.catchUp(); // not ours, or a future format: the log knows
  }

  private async catchUp(): Promise<void> {
    try {
      this.local.notify(await this.options.head());
    } catch {
      // The store is down: its readiness check says so; the next interval tries again.
    }
  }
}
