/**
 * Errors the brokers and logs reject with.
 *
 * @module
 */

/** The stable code of {@link BrokerUnavailableError}. */
export const BROKER_UNAVAILABLE = 'FW_ERR_BROKER_UNAVAILABLE';

/**
 * A publish or log call made while the Redis or NATS server is unreachable
 * (not yet connected, reconnecting, or the broker was closed). Nothing is
 * buffered: the caller learns at once and may retry.
 *
 * @example
 * ```ts
 * try { await log.append('news', bytes, false); }
 * catch (error) { if ((error as BrokerUnavailableError).code === 'FW_ERR_BROKER_UNAVAILABLE') retryLater(); }
 * ```
 */
export class BrokerUnavailableError extends Error {
  /** Always `FW_ERR_BROKER_UNAVAILABLE`. */
  readonly code = BROKER_UNAVAILABLE;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerUnavailableError';
  }
}

/** Turns whatever a client library rejected with into a {@link BrokerUnavailableError} naming the service. */
export function unavailable(service: string, cause: unknown): BrokerUnavailableError {
  if (cause instanceof BrokerUnavailableError) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new BrokerUnavailableError(`${service} is unavailable: ${why}`, { cause });
}
