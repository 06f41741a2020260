/**
 * How the WHATWG shapes open a client connection: each adapter hands its own
 * `connect` in this form, so the shapes stay runtime-neutral.
 *
 * @module
 */
import type { Session } from '../session/session.js';

/** What a {@link WebSocketConnector} is given for one connection attempt. */
export interface ConnectRequest {
  /** Subprotocols to offer, already checked (tokens, no repeats). */
  readonly protocols: readonly string[];
  /** Aborted when the application gives up (`close()` while connecting, or its own signal). */
  readonly signal: AbortSignal;
}

/**
 * Open a WebSocket connection to `url` (already a checked `ws:`/`wss:` URL)
 * and resolve with its open {@link Session}; reject when the handshake
 * failed or `request.signal` fired. An adapter's `connect`, adapted:
 *
 * @example
 * ```ts
 * const connector: WebSocketConnector = (url, { protocols, signal }) => connect(url, { protocols, signal });
 * ```
 */
export type WebSocketConnector = (url: string, request: ConnectRequest) => Promise<Session>;

/** An accepted server-side session to wrap instead of connecting; `url` is what the wrapper reports. */
export interface AcceptedSource {
  readonly session: Session;
  readonly url?: string;
}
