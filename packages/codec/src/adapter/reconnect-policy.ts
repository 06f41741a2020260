/**
 * Which failures the reconnecting client retries and which end it: the one
 * table the README documents. A failure is either a connect attempt that
 * failed (a {@link ConnectError}) or an open connection that ended (its
 * close code), or heartbeat loss.
 *
 * | Failure | Decision |
 * | --- | --- |
 * | `FW_ERR_CONNECTION_FAILED`, `FW_ERR_CONNECTION_CLOSED`, `FW_ERR_HANDSHAKE_TIMEOUT`, `FW_ERR_PROXY` | retry |
 * | handshake status 5xx, 408, 425, 429 | retry (a `Retry-After` in seconds lengthens the delay, capped by `maxDelay`) |
 * | handshake status 3xx (not followed), 4xx other than the above (401, 403, 404…) | final |
 * | `FW_ERR_HANDSHAKE_INVALID`, `FW_ERR_TLS`, `FW_ERR_INVALID_URL`, `FW_ERR_TOO_MANY_REDIRECTS`, `FW_ERR_ABORTED`, any other error | final |
 * | close 1001, 1005, 1006, 1011, 1012, 1013, 1014 | retry |
 * | heartbeat loss (reported as 1006) | retry |
 * | close 1000 from the server, 1002, 1003, 1007, 1008, 1009, 1010, 3000–4999 | final |
 * | `close()` called by the application | final |
 *
 * `shouldReconnect` in the options overrides the table case by case.
 *
 * @module
 */
import { ConnectError, HandshakeStatusError } from '../session/connect-errors.js';

/** Why the client is (or went) offline. */
export type OfflineReason =
  /** A connect attempt failed. */
  | { readonly kind: 'connect-error'; readonly error: Error }
  /** The open connection ended with this close. */
  | { readonly kind: 'close'; readonly code: number; readonly reason: string; readonly wasClean: boolean }
  /** `missed` pongs in a row did not come: the connection was dropped locally (1006). */
  | { readonly kind: 'heartbeat'; readonly missed: number };

const RETRIED_CONNECT_CODES: ReadonlySet<string> = new Set([
  'FW_ERR_CONNECTION_FAILED',
  'FW_ERR_CONNECTION_CLOSED',
  'FW_ERR_HANDSHAKE_TIMEOUT',
  'FW_ERR_PROXY',
]);

/** Handshake statuses below 500 that mean "later" rather than "no". */
const RETRIED_4XX: ReadonlySet<number> = new Set([408, 425, 429]);

/** Close codes after which a new connection may well succeed. */
const RETRIED_CLOSE_CODES: ReadonlySet<number> = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014]);

/** The table's decision for `reason`: `true` to reconnect, `false` to end the client. */
export function isRetried(reason: OfflineReason): boolean {
  switch (reason.kind) {
    case 'heartbeat':
      return true;
    case 'close':
      return RETRIED_CLOSE_CODES.has(reason.code);
    case 'connect-error': {
      const { error } = reason;
      if (error instanceof HandshakeStatusError) return error.status >= 500 || RETRIED_4XX.has(error.status);
      return error instanceof ConnectError && RETRIED_CONNECT_CODES.has(error.code);
    }
  }
}

/**
 * The server's `Retry-After` (delay-seconds form, RFC 9110 §10.2.3) on a
 * refused handshake, in ms; `undefined` when absent or an HTTP date.
 */
export function retryAfterMs(reason: OfflineReason): number | undefined {
  if (reason.kind !== 'connect-error' || !(reason.error instanceof HandshakeStatusError)) return undefined;
  const value = reason.error.headers['retry-after']?.trim();
  if (value === undefined || !/^\d{1,9}$/.test(value)) return undefined;
  return Number(value) * 1000;
}
