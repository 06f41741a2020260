/**
 * Why a client `connect()` failed, the same on every runtime: the error
 * classes every adapter re-exports, and the one mapping from the codec's
 * handshake failures to them.
 *
 * @module
 */
import { HandshakeError } from '../protocol/handshake-error.js';

/** Stable codes of {@link ConnectError}; users match on these strings. */
export type ConnectErrorCode =
  /** The URL is not ws:// or wss://, or is malformed. */
  | 'FW_ERR_INVALID_URL'
  /** TCP connect failed: refused, unreachable, DNS failure. */
  | 'FW_ERR_CONNECTION_FAILED'
  /** The TLS handshake failed (certificate not trusted, wrong name, protocol). */
  | 'FW_ERR_TLS'
  /** The server answered with a status other than 101; see `status` and `headers`. */
  | 'FW_ERR_HANDSHAKE_STATUS'
  /** The server's 101 response broke RFC 6455 §4.1 (bad accept key, extension, subprotocol). */
  | 'FW_ERR_HANDSHAKE_INVALID'
  /** The handshake did not finish within `handshakeTimeout`. */
  | 'FW_ERR_HANDSHAKE_TIMEOUT'
  /** The connection closed before the handshake finished. */
  | 'FW_ERR_CONNECTION_CLOSED'
  /** The caller's `AbortSignal` fired. */
  | 'FW_ERR_ABORTED'
  /** `followRedirects` was on and the server redirected more than `maxRedirects` times. */
  | 'FW_ERR_TOO_MANY_REDIRECTS'
  /** The HTTP proxy refused the CONNECT tunnel (`cause.status`) or answered nonsense. */
  | 'FW_ERR_PROXY';

/**
 * Why `connect()` failed. `code` is stable; `cause` holds the underlying
 * runtime error (e.g. Node's `ECONNREFUSED`) or codec error when there is one.
 * Every adapter re-exports this class, so `instanceof ConnectError` holds
 * whichever adapter threw it.
 */
export class ConnectError extends Error {
  override readonly name: string = 'ConnectError';
  constructor(
    readonly code: ConnectErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server refused the upgrade: `status` is not 101 (RFC 6455 §4.1, §4.2.2). */
export class HandshakeStatusError extends ConnectError {
  override readonly name = 'HandshakeStatusError';
  constructor(
    /** HTTP status of the response, e.g. 401, 403, 404, 503. */
    readonly status: number,
    /** Response headers, names lower-cased. */
    readonly headers: Readonly<Record<string, string>>,
    /** Response body, when the server sent a short one. */
    readonly body: Uint8Array,
    message: string,
  ) {
    super('FW_ERR_HANDSHAKE_STATUS', message);
  }
}

/** Header pairs as a record: names lower-cased, repeated headers joined with `, ` (RFC 9110 §5.3). */
export function headerRecord(pairs: Iterable<readonly [string, string]> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of pairs ?? []) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return headers;
}

/**
 * The {@link ConnectError} for a failed client upgrade (what
 * `ClientUpgrade.session` rejected with): a timeout, an early EOF, a non-101
 * status (as a {@link HandshakeStatusError}), else an invalid response. Over
 * TLS (`secure`), a failure that is no handshake error came from the TLS layer.
 *
 * @example
 * ```ts
 * try { return await upgrade.session; } catch (error) { throw connectErrorFrom(url, error as Error, target.secure); }
 * ```
 */
export function connectErrorFrom(href: string, error: Error, secure = false): ConnectError {
  if (error instanceof ConnectError) return error;
  if ((error as { code?: unknown }).code === 'FW_ERR_HANDSHAKE_TIMEOUT') {
    return new ConnectError('FW_ERR_HANDSHAKE_TIMEOUT', error.message, { cause: error });
  }
  if (error instanceof HandshakeError && error.code === 'FW_ERR_HANDSHAKE_EOF') {
    return new ConnectError('FW_ERR_CONNECTION_CLOSED', `${href} closed the connection during the handshake`, { cause: error });
  }
  if (error instanceof HandshakeError && error.code === 'FW_ERR_HANDSHAKE_STATUS' && error.status !== undefined) {
    return new HandshakeStatusError(error.status, headerRecord(error.headers), error.body, `${href} answered ${error.status} instead of 101`);
  }
  if (secure && !(error instanceof HandshakeError)) {
    return new ConnectError('FW_ERR_TLS', `TLS failure with ${href}: ${error.message}`, { cause: error });
  }
  return new ConnectError('FW_ERR_HANDSHAKE_INVALID', `invalid handshake response from ${href}: ${error.message}`, { cause: error });
}
