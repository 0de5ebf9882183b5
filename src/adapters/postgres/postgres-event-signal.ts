// EventSignal across processes on one database: every event append notifies EVENTS_CHANNEL in its
// transaction (order-repository.ts), and this adapter hears it through the process's ListenHub
// (one LISTEN connection, shared with the export job signal) and wakes this process's readers. A
// notification can be lost (the connection drops, a reconnect is under way), so the log's head is
// read again after every (re)connect and every catchUpIntervalMs: a lost notification delays an
// event by at most that interval, it never drops it.
import type { EventSignal } from '../../domain/ports.js';
import { LocalEventSignal } from '../local-event-signal.js';
import { ListenHub } from './listen-hub.js';
import { EVENTS_CHANNEL, type Listen } from './sql-driver.js';

export type PostgresEventSignalOptions = Readonly<
  {
    /** The log's last committed sequence (OrderEventLog.head). */
    head: () => Promise<bigint>;
    /** Safety net: the head is read this often even when notifications arrive. */
    catchUpIntervalMs: number;
    /** Wakes the readers of this process; shared with local commits so they need no round trip. */
    local?: LocalEventSignal;
  } & (
    | {
        /** The process's shared LISTEN connection (it must LISTEN on EVENTS_CHANNEL); started and closed by its owner. */
        hub: ListenHub;
      }
    | {
        /** Or a connection of the signal's own (tests, tools): a hub on EVENTS_CHANNEL alone, started and closed with it. */
        listen: Listen;
        reconnect?: Readonly<{ initialMs: number; maxMs: number }>;
        onChange?: (listening: boolean, error?: unknown) => void;
      }
  )
>;

export class PostgresEventSignal implements EventSignal {
  private readonly local: LocalEventSignal;
  private readonly hub: ListenHub;
  private readonly ownsHub: boolean;
  private readonly unsubscribe: () => void;
  private readonly catchUpTimer: NodeJS.Timeout;

  constructor(private readonly options: PostgresEventSignalOptions) {
    this.local = options.local ?? new LocalEventSignal();
    this.ownsHub = !('hub' in options);
    this.hub =
      'hub' in options
        ? options.hub
        : new ListenHub({
            listen: options.listen,
            channels: [EVENTS_CHANNEL],
            ...(options.reconnect === undefined ? {} : { reconnect: options.reconnect }),
            ...(options.onChange === undefined ? {} : { onChange: options.onChange }),
          });
    this.unsubscribe = this.hub.subscribe(EVENTS_CHANNEL, {
      heard: (payload) => this.heard(payload),
      reconnected: () => void this.catchUp(),
    });
    this.catchUpTimer = setInterval(() => void this.catchUp(), options.catchUpIntervalMs).unref();
  }

  /** Starts listening (the hub, if shared, may be started already); resolves after the first attempt and a catch-up. */
  async start(): Promise<void> {
    await this.hub.start();
    await this.catchUp();
  }

  wait(afterSequence: bigint, signal: AbortSignal): Promise<void> {
    return this.local.wait(afterSequence, signal);
  }

  /** A commit of this process (the store's onCommit): wakes local readers at once. */
  notify(sequence: bigint): void {
    this.local.notify(sequence);
  }

  /** Readiness: the LISTEN connection's (see ListenHub.check). */
  check(signal?: AbortSignal): Promise<void> {
    return this.hub.check(signal);
  }

  /** Whether LISTEN is active now (for a metric). */
  listening(): boolean {
    return this.hub.listening();
  }

  async close(): Promise<void> {
    clearInterval(this.catchUpTimer);
    this.unsubscribe();
    if (this.ownsHub) await this.hub.close();
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
