/**
 * What the server and client upgrade drivers share: the pluggable extension
 * negotiator, the options every adapter passes through, and small byte
 * helpers. See `upgrade-server.ts` and `upgrade-client.ts`.
 *
 * @module
 */
import type { ConnectionOptions } from '../protocol/connection-options.js';
import type { ProtocolError } from '../protocol/errors.js';
import type { ExtensionOffer } from '../protocol/extension-header.js';
import type { MessageExtension } from '../protocol/extension.js';
import type { HeadLimits } from '../protocol/http-head.js';
import type { Scheduler } from './scheduler.js';
import type { SessionOptions } from './session.js';

/**
 * A per-message extension's handshake hook (RFC 6455 §9, RFC 7692 §5).
 * `permessageDeflate()` implements it; any other extension can too. A
 * connection carries at most one per-message extension: negotiators are tried
 * in order and the first that accepts wins.
 */
export interface ExtensionNegotiator {
  /** The extension token, e.g. `'permessage-deflate'`. */
  readonly name: string;
  /** Client: this extension's `Sec-WebSocket-Extensions` offer (one or more elements). */
  offer(): string;
  /**
   * Server: choose among the client's offers (all of them, every extension,
   * in the client's order). Returns the response element and the extension
   * for this connection, or `undefined` to go on without it.
   */
  negotiateServer(offers: readonly ExtensionOffer[]): { readonly response: string; readonly extension: MessageExtension } | undefined;
  /**
   * Client: check the server's accepted elements (every extension, in order).
   * `undefined` when it did not accept this extension; a `ProtocolError`
   * (1010) when its answer is invalid, which fails the connection.
   */
  acceptClient(responses: readonly ExtensionOffer[]): MessageExtension | ProtocolError | undefined;
}

/** Connection settings the drivers pass to the {@link Connection} they create (role, clock and extension are theirs). */
export type UpgradeConnectionOptions = Omit<ConnectionOptions, 'role' | 'now' | 'extension'>;

/** Options both upgrade drivers take; the rest configures the {@link Session} they create. */
export interface UpgradeOptions extends Omit<SessionOptions, 'protocol' | 'extensions' | 'head'> {
  /** Clock and timers (the handshake timeout, then the session's). */
  scheduler: Scheduler;
  /** Give up on a handshake not finished within this many ms (slowloris). Default 10 000. */
  handshakeTimeout?: number;
  /** Limits of the HTTP head (header bytes, header count, start line). */
  headLimits?: HeadLimits;
  /** Per-message extensions to negotiate, in preference order. Default: none. */
  extensions?: readonly ExtensionNegotiator[];
  /** Limits, heartbeat and close timeout of the connection. */
  connection?: UpgradeConnectionOptions;
}

/** Default handshake timeout: 10 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** The Session's own fields of a driver's options (the driver fields are left out). */
export function sessionOptions(options: UpgradeOptions): SessionOptions {
  const out: Record<string, unknown> = {};
  for (const key of SESSION_KEYS) if (options[key] !== undefined) out[key] = options[key];
  return out as SessionOptions;
}

const SESSION_KEYS = [
  'binaryType',
  'highWaterMark',
  'maxBufferedAmount',
  'receiveHighWaterMessages',
  'receiveHighWaterBytes',
  'transportCloseTimeout',
  'onListenerError',
  'readableStream',
] as const;
