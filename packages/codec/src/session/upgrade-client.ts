/**
 * The client upgrade driver: writes the upgrade request to a
 * {@link Transport}, reads and checks the response, negotiates extensions and
 * hands the transport to a new client {@link Session}. Every adapter uses it
 * unchanged after opening its TCP or TLS connection.
 *
 * @module
 */
import { Connection } from '../protocol/connection.js';
import { ProtocolError, UsageError } from '../protocol/errors.js';
import type { MessageExtension } from '../protocol/extension.js';
import { ClientHandshake, type UpgradeResponse, type WebSocketTarget } from '../protocol/handshake-client.js';
import { HandshakeError } from '../protocol/handshake-error.js';
import type { HeaderInit } from '../protocol/header-tokens.js';
import { TimerSlot } from './scheduler.js';
import { Session } from './session.js';
import type { Transport, TransportSink } from './transport.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, sessionOptions, type UpgradeOptions } from './upgrade.js';

/** Options of {@link connectWebSocket}. */
export interface ClientUpgradeOptions extends UpgradeOptions {
  /** `ws://` or `wss://` URL (the adapter opened the matching TCP/TLS connection); or give `target`. */
  url?: string;
  /** The parsed URL, when the adapter already has it. Exactly one of `url`, `target`. */
  target?: WebSocketTarget;
  /** Subprotocols to offer, in preference order. */
  protocols?: readonly string[];
  /** `Origin` to send. */
  origin?: string;
  /** Extra request headers (`Authorization`, `Cookie`...). */
  headers?: HeaderInit;
}

/**
 * The handshake did not finish in time (no response, or a partial one).
 * Code `FW_ERR_HANDSHAKE_TIMEOUT`.
 */
export class HandshakeTimeoutError extends Error {
  override readonly name = 'HandshakeTimeoutError';
  readonly code = 'FW_ERR_HANDSHAKE_TIMEOUT' as const;
  constructor(readonly timeout: number) {
    super(`The WebSocket handshake did not finish within ${timeout} ms`);
  }
}

/**
 * Drives one client-side upgrade: writes the request at once, then wire the
 * transport's events to it (it forwards them to the session once upgraded)
 * and await {@link ClientUpgrade.session}.
 *
 * `session` rejects with a `HandshakeError` (a non-101 status with its
 * headers and body, a bad `Sec-WebSocket-Accept`, an unoffered subprotocol or
 * extension, EOF...) or a {@link HandshakeTimeoutError}; the transport is
 * destroyed then.
 *
 * @example In an adapter
 * ```ts
 * const upgrade = connectWebSocket(transport, { url, scheduler, protocols: ['chat'] });
 * socket.on('data', (chunk) => upgrade.receive(chunk));
 * socket.on('end', () => upgrade.receiveEof());
 * socket.on('drain', () => upgrade.drain());
 * return upgrade.session;
 * ```
 */
export class ClientUpgrade implements TransportSink {
  /** The session once the server accepted; rejects when the handshake failed. */
  readonly session: Promise<Session>;
  readonly #transport: Transport;
  readonly #options: ClientUpgradeOptions;
  readonly #handshake: ClientHandshake;
  readonly #timer: TimerSlot;
  #resolve!: (session: Session) => void;
  #reject!: (error: Error) => void;
  #state: 'waiting' | 'upgraded' | 'done' = 'waiting';
  #session: Session | undefined;
  #response: UpgradeResponse | undefined;

  /** @throws UsageError for a bad URL, subprotocol, origin or header (local misuse). */
  constructor(transport: Transport, options: ClientUpgradeOptions) {
    this.#transport = transport;
    this.#options = options;
    const offers = (options.extensions ?? []).map((n) => n.offer()).filter((o) => o.length > 0);
    this.#handshake = new ClientHandshake({
      ...options.headLimits,
      url: options.url,
      target: options.target,
      protocols: options.protocols,
      origin: options.origin,
      headers: options.headers,
      extensions: offers.length > 0 ? offers.join(', ') : undefined,
      random: options.connection?.random,
    });
    this.session = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const scheduler = options.scheduler;
    const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    this.#timer = new TimerSlot(scheduler, () => this.#fail(new HandshakeTimeoutError(timeout)));
    this.#timer.set(scheduler.now() + timeout);
    transport.write([this.#handshake.request]);
  }

  /** The server's validated 101 response, once accepted. */
  get response(): UpgradeResponse | undefined {
    return this.#response;
  }

  /** The `Sec-WebSocket-Key` sent. */
  get key(): string {
    return this.#handshake.key;
  }

  receive(chunk: Uint8Array): void {
    if (this.#state === 'upgraded') {
      this.#session!.receive(chunk);
      return;
    }
    if (this.#state === 'done') return;
    const r = this.#handshake.receive(chunk);
    if (r.type === 'need-more') return;
    if (r.type === 'failed') {
      this.#fail(r.error);
      return;
    }
    this.#open(r.response, r.rest);
  }

  receiveEof(error?: unknown): void {
    if (this.#state === 'upgraded') {
      this.#session!.receiveEof(error);
      return;
    }
    if (this.#state === 'done') return;
    const r = this.#handshake.receiveEof();
    this.#fail(r.type === 'failed' ? r.error : new HandshakeError('FW_ERR_HANDSHAKE_EOF', 'Connection ended'));
  }

  drain(): void {
    if (this.#state === 'upgraded') this.#session!.drain();
  }

  #open(response: UpgradeResponse, rest: Uint8Array): void {
    // RFC 6455 §9.1 / RFC 7692 §5: the client checks what the server accepted.
    let extension: MessageExtension | undefined;
    for (const negotiator of this.#options.extensions ?? []) {
      const accepted = negotiator.acceptClient(response.extensions);
      if (accepted === undefined) continue;
      if (accepted instanceof ProtocolError || extension !== undefined) {
        extension?.dispose();
        if (!(accepted instanceof ProtocolError)) accepted.dispose();
        const why = accepted instanceof ProtocolError ? accepted.message : 'more than one per-message extension accepted';
        this.#fail(new HandshakeError('FW_ERR_HANDSHAKE_EXTENSION', why, 101, response.headers));
        return;
      }
      extension = accepted;
    }
    if (response.extensions.length > 0 && extension === undefined) {
      this.#fail(new HandshakeError('FW_ERR_HANDSHAKE_EXTENSION', 'the server accepted an extension no negotiator handles', 101, response.headers));
      return;
    }
    const options = this.#options;
    const scheduler = options.scheduler;
    this.#timer.clear();
    const connection = new Connection({
      ...options.connection,
      role: 'client',
      now: () => scheduler.now(),
      extension,
    });
    const session = new Session({
      ...sessionOptions(options),
      connection,
      transport: this.#transport,
      scheduler,
      protocol: response.protocol ?? '',
      extensions: response.extensionsHeader ?? '',
      ...(rest.length > 0 ? { head: rest } : {}),
    });
    this.#response = response;
    this.#session = session;
    this.#state = 'upgraded';
    this.#resolve(session);
  }

  #fail(error: Error): void {
    if (this.#state !== 'waiting') return;
    this.#state = 'done';
    this.#timer.clear();
    this.#transport.destroy();
    this.#reject(error);
  }
}

/**
 * Start a client upgrade on a freshly connected `transport`: the request is
 * written at once. See {@link ClientUpgrade}.
 *
 * @throws UsageError for a bad URL, subprotocol, origin or header, or a missing scheduler.
 */
export function connectWebSocket(transport: Transport, options: ClientUpgradeOptions): ClientUpgrade {
  if (options === undefined || options.scheduler === undefined) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'connectWebSocket needs options.scheduler');
  }
  return new ClientUpgrade(transport, options);
}
