/**
 * The error a failed opening handshake carries (RFC 6455 §4.1, §4.2.2).
 *
 * @module
 */
import type { HttpHeaders } from './header-tokens.js';

/**
 * Stable codes of {@link HandshakeError}. Users match on these strings, so a
 * code is never renamed once released.
 */
export type HandshakeErrorCode =
  /** The head broke HTTP/1.1 syntax (bad start line, bad header line, bare LF...). */
  | 'FW_ERR_HANDSHAKE_MALFORMED'
  /** A size limit (header bytes, header count, start line) was exceeded. */
  | 'FW_ERR_HANDSHAKE_TOO_LARGE'
  /** The server answered with a status other than 101. */
  | 'FW_ERR_HANDSHAKE_STATUS'
  /** `Upgrade`/`Connection` were missing or wrong. */
  | 'FW_ERR_HANDSHAKE_UPGRADE'
  /** `Sec-WebSocket-Accept` was missing or did not match our key. */
  | 'FW_ERR_HANDSHAKE_ACCEPT'
  /** The server chose a subprotocol we did not offer, or sent a malformed one. */
  | 'FW_ERR_HANDSHAKE_PROTOCOL'
  /** The server accepted an extension we did not offer, or sent a malformed header. */
  | 'FW_ERR_HANDSHAKE_EXTENSION'
  /** The connection ended before the response was complete. */
  | 'FW_ERR_HANDSHAKE_EOF';

/**
 * The peer's opening handshake failed. Returned as a value (never thrown out of
 * the codec): `{ type: 'failed', error }`. For a non-101 response it carries
 * the status, the headers and the start of the body, so a 401 or a redirect is
 * visible to the caller.
 */
export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  constructor(
    /** Stable code string, e.g. `FW_ERR_HANDSHAKE_STATUS`. */
    readonly code: HandshakeErrorCode,
    message: string,
    /** The response status when a status line was parsed. */
    readonly status: number | undefined = undefined,
    /** The response headers when the head was parsed. */
    readonly headers: HttpHeaders | undefined = undefined,
    /** The start of the response body (capped), empty when none. */
    readonly body: Uint8Array = new Uint8Array(0),
  ) {
    super(message);
  }
}
