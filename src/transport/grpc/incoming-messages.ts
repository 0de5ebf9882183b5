// The request messages of a client-streaming or bidi call as an async iterable that reads from
// the connection only when the handler asks for the next message: a handler that is busy (a slow
// store) holds the client back through HTTP/2 flow control instead of buffering its messages.
type Waiter<T> = { resolve(result: IteratorResult<T, undefined>): void; reject(error: unknown): void };

export class IncomingMessages<T> implements AsyncIterableIterator<T, undefined> {
  private ready: T[] = [];
  private waiter: Waiter<T> | undefined;
  private ended = false;
  private failure: { error: Error } | undefined;

  /** `read` asks the connection for one more message (grpc-js startRead). */
  constructor(private readonly read: () => void) {}

  /** A message arrived (one per `read`). */
  push(message: T): void {
    if (this.waiter === undefined) this.ready.push(message);
    else this.settle().resolve({ value: message, done: false });
  }

  /** The client half-closed: no more messages. */
  end(): void {
    this.ended = true;
    if (this.waiter !== undefined && this.ready.length === 0) this.settle().resolve({ value: undefined, done: true });
  }

  /** The call ended (cancelled, timed out): the handler's next read rejects with `error`. */
  fail(error: Error): void {
    this.failure ??= { error };
    if (this.waiter !== undefined) this.settle().reject(error);
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const message = this.ready.shift();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.read();
    });
  }

  /** The handler stopped reading early; later messages are not read. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.ended = true;
    this.ready = [];
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settle(): Waiter<T> {
    const waiter = this.waiter as Waiter<T>;
    this.waiter = undefined;
    return waiter;
  }
}
