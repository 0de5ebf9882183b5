// A listener whose port another process holds is an operator's mistake, not a crash: it gets one
// sentence naming the setting, the port and the address, and no stack trace.
import { createServer } from 'node:net';

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';

  constructor(key: string, host: string, port: number, options?: ErrorOptions) {
    super(`${key} ${port} on ${host} is already in use`, options);
  }
}

/**
 * Rejects with PortInUseError if `host:port` cannot be bound because it is taken (binds and closes
 * at once; port 0 is always free). Checked before a listener that reports the failure noisily
 * itself (grpc-js prints its own line to stderr) tries the port.
 */
export function ensurePortFree(key: string, host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error) => reject(explainListenError(error, key, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** `error` as a PortInUseError when binding `host:port` failed because it is taken; otherwise `error`. */
export function explainListenError(error: unknown, key: string, host: string, port: number): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  // grpc-js folds the bind errors into its message: "No address added … [listen EADDRINUSE: …]".
  const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' || error.message.includes('EADDRINUSE');
  return inUse ? new PortInUseError(key, host, port, { cause: error }) : error;
}
