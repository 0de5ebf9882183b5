import { inspect } from 'node:util';

/**
 * A secret value resolved from an environment variable or a file. It prints as "***" however it
 * is printed (String(), JSON, util.inspect, pino), so that it cannot leak into logs by accident;
 * only reveal() gives the value, and only code that hands it to a client library calls that.
 */
export class Secret {
  readonly #value: string;

  constructor(
    value: string,
    /** Where the value came from, e.g. "env PGPASSWORD" or "file /run/secrets/pg"; safe to print. */
    readonly source: string,
  ) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '***';
  }

  toJSON(): string {
    return '***';
  }

  [inspect.custom](): string {
    return `Secret(*** from ${this.source})`;
  }
}
