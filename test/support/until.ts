// Waiting for something the server does after the client already has its answer (an access-log
// line, a metric, a reload), for which there is no event to await: check, and check again every
// 20 ms. The bound only catches a condition that never comes; it is not a measure of speed.

/** Resolves once `condition` holds; rejects after `timeoutMs` with `what` and the last failure. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `${what}: still not so after ${timeoutMs} ms${last === undefined ? '' : ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})`}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
