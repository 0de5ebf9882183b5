// A push-driven AsyncIterable for feeding request streams, and a reader that pulls N items.

export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: (() => void) | undefined;
  private ended = false;

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    this.waiting?.();
    this.waiting = undefined;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) yield item;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}

/**
 * Starts consuming a response stream at once (a nice-grpc call starts when iteration starts) and
 * buffers what arrives; take() hands items out in order, end() reports how the stream ended.
 */
export function reader<T>(iterable: AsyncIterable<T>) {
  const buffered: T[] = [];
  let outcome: { done: true } | { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const iterator = iterable[Symbol.asyncIterator]();
  void (async () => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) break;
        buffered.push(next.value);
        wake?.();
      }
      outcome = { done: true };
    } catch (error) {
      outcome = { error };
    }
    wake?.();
  })();

  async function settle(ready: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(what());
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, left).unref();
      });
    }
  }

  return {
    /** The next `n` items; rejects with the stream's error if it fails first. */
    async take(n: number, timeoutMs = 60_000): Promise<T[]> {
      await settle(
        () => buffered.length >= n || outcome !== undefined,
        timeoutMs,
        () => `got ${buffered.length} of ${n} items within ${timeoutMs} ms`,
      );
      if (buffered.length >= n) return buffered.splice(0, n);
      if (outcome !== undefined && 'error' in outcome) throw outcome.error;
      throw new Error(`the stream ended after ${buffered.length} of ${n} items`);
    },
    /** Resolves with how the stream ends: 'done', or the error it failed with. */
    async end(timeoutMs = 60_000): Promise<unknown> {
      await settle(
        () => outcome !== undefined,
        timeoutMs,
        () => `the stream did not end within ${timeoutMs} ms`,
      );
      return outcome !== undefined && 'error' in outcome ? outcome.error : 'done';
    },
    /** Items received and not yet taken. */
    pending: () => buffered.length,
  };
}
