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
  | 'FW_ERR_ABORTED';

/**
 * Why `connect()` failed. `code` is stable; `cause` holds the underlying
 * Deno error (e.g. `Deno.errors.ConnectionRefused`) or codec error when there is one.
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

/** The server refused the upgrade: `status` is not 101. */
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
