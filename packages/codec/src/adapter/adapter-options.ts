/**
 * The options every adapter's server and `connect()` take (limits, timers,
 * permessage-deflate, subprotocols, the accept hook) and the one mapping from
 * them to the codec's upgrade, session and connection options. An adapter
 * adds only its runtime's fields (listen address, TLS material) and passes
 * its runtime hooks in an {@link AdapterRuntime}.
 *
 * @module
 */
import type { Compressor } from '../protocol/compressor.js';
import type { ProxySetting } from './proxy.js';
import type { CodecHooks } from '../protocol/hooks.js';
import { permessageDeflate, type PerMessageDeflateOptions } from '../protocol/deflate-extension.js';
import type { UpgradeResponse } from '../protocol/handshake-client.js';
import type { UpgradeRequest } from '../protocol/handshake-server.js';
import type { PathParams, RouteParams } from './route-pattern.js';
import type { ServerRequest } from './server-request.js';
import type { HeaderInit } from '../protocol/header-tokens.js';
import type { Scheduler } from '../session/scheduler.js';
import type { ReadableStreamConstructorLike, SessionOptions } from '../session/session.js';
import type { HeartbeatOptions } from '../session/server-registry.js';
import type { Broker } from '../session/broker.js';
import type { TopicBackpressure } from '../session/topic-registry.js';
import type { AcceptDecision } from '../session/upgrade-server.js';
import type { ExtensionNegotiator, UpgradeConnectionOptions, UpgradeOptions } from '../session/upgrade.js';
import type { Utf8ValidatorFactory } from '../protocol/utf8.js';

const MiB = 1024 * 1024;

/** Default `maxPayload` of every adapter: 16 MiB. */
export const DEFAULT_MAX_PAYLOAD = 16 * MiB;

/** Default handshake deadline of every adapter's server and client: 10 s. */
export const DEFAULT_ADAPTER_HANDSHAKE_TIMEOUT = 10_000;

/** Options shared by an adapter's `WebSocketServer` and `connect()`: limits and timers, with safe defaults. */
export interface ConnectionLimits {
  /** Largest message in bytes, after decompression (1009 beyond). Default 16 MiB. */
  maxPayload?: number;
  /** Largest frame payload (1009 beyond). Default `maxPayload`. */
  maxFrameSize?: number;
  /** `send()` returns `false` once this many bytes are buffered. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Outgoing bytes a peer that does not read may hold up; past it the
   * connection is closed with 1008 (policy violation). Default 16 MiB.
   */
  maxBufferedAmount?: number;
  /** Pings answered only by the latest pong while the peer does not read; past this many, close 1008. Default 1024. */
  maxPingsWhileBlocked?: number;
  /** Unconsumed received messages at which reading pauses (receive backpressure). Default 64. */
  receiveHighWaterMessages?: number;
  /** Unconsumed received bytes at which reading pauses. Default 16 MiB. */
  receiveHighWaterBytes?: number;
  /** Ms to wait for the peer's close frame after ours. Default 5000. */
  closeTimeout?: number;
  /**
   * Ping after `interval` ms of silence; 1006 when no answer within
   * `timeout`. Clients: off by default. Servers: on by default (see
   * {@link ServerPolicyOptions.heartbeat}).
   */
  heartbeat?: { interval: number; timeout: number };
  /** Close with 1001 after this many ms without traffic. Off by default. */
  idleTimeout?: number;
  /** Binary messages as `Uint8Array` (default) or `ArrayBuffer`. */
  binaryType?: 'uint8array' | 'arraybuffer';
  /**
   * Raw text mode, for servers that forward text: a text message reaches
   * `message` as its UTF-8 bytes (`Uint8Array`, `isBinary` false), never
   * decoded to a string, and `send(data, { binary: false })` sends them back
   * as text with no encode. UTF-8 is still validated as it arrives (1007 at
   * the first invalid byte), so the bytes are always valid UTF-8. Decode
   * with `new TextDecoder().decode(data)` where a string is needed. The
   * WHATWG wrappers still see strings. Default `false` (text as strings).
   */
  rawText?: boolean;
  /** Largest request/response head in bytes (431 beyond). Codec default. */
  maxHeaderBytes?: number;
  /** Where listener exceptions go. Default: an unhandled rejection, like `ws`. */
  onListenerError?: (error: unknown, event: string) => void;
  /**
   * Receive uncompressed messages longer than this many bytes as a stream
   * (the `messageStream` event: a `ReadableStream<Uint8Array>` body that
   * fills while the frames arrive) instead of whole (`message`). Memory
   * stays bounded by the reader: 1 MiB unread pauses the socket. So a route
   * can raise `maxPayload` to gigabytes for uploads. Cancelling the body
   * closes with 1008; no `messageStream` listener closes with 1009. A
   * compressed message cannot be streamed: on such a connection it may be
   * at most this many bytes (1009 beyond). Default: off (every message whole).
   */
  streamMessagesAbove?: number;
}

/**
 * Decides on an upgrade before anything is sent back: return the codec's
 * `accept({ protocol?, headers? })` or `reject(status, { headers?, body? })`.
 * May be async; a hook that throws answers 500. It sees the parsed request
 * (path, query, headers, origin, offered subprotocols and extensions) and the
 * adapter's `Context` (its socket or connection).
 *
 * @example Origin allow-list and token auth, one line each
 * ```ts
 * accept: allowOrigins(['https://app.example']),
 * accept: bearerToken((token) => token === TOKEN, { queryParam: 'token' }),
 * accept: (req) => (getQueryParam(req, 'token') === TOKEN ? accept() : reject(401)),
 * ```
 */
export type AdapterAcceptHook<Context, Data = unknown, Params = PathParams> = (
  request: ServerRequest<Params>,
  context: Context,
) => AcceptDecision<Data> | Promise<AcceptDecision<Data>>;

/** What an adapter's `WebSocketServer` decides about upgrades, whatever the runtime. */
export interface ServerPolicyOptions<Context, Data = unknown, Path extends string = string> extends Omit<ConnectionLimits, 'heartbeat'> {
  /**
   * Drop dead peers (a pulled cable sends no FIN): ping a peer that was
   * silent for `interval` ms, terminate it (close 1006) when it stays silent
   * `timeout` ms longer. One sweep per server, no timer per connection, so
   * a ping goes out after 1-2 intervals of silence. Default
   * `{ interval: 30_000, timeout: 60_000 }` (dead after 2 missed pongs);
   * `false` turns it off.
   */
  heartbeat?: HeartbeatOptions | false;
  /**
   * Paths this server takes, query ignored: exact (`'/chat'`), with named
   * segments (`'/rooms/:id'`, the values in `request.params`) or a final
   * `*` (`'/files/*'`, the rest in `params['*']`). Several patterns: the
   * first match wins. Default: every path. Other paths get 404.
   */
  path?: Path | readonly Path[];
  /**
   * The accept hook (origin checks, auth), run once per upgrade; what it
   * passes as `accept({ data })` becomes `session.data`.
   */
  accept?: AdapterAcceptHook<Context, Data, RouteParams<Path>>;
  /**
   * Subprotocols we speak, in our preference order, or a function that picks
   * one of the offered ones (`undefined`: none).
   */
  protocols?: readonly string[] | ((offered: readonly string[], request: UpgradeRequest) => string | undefined);
  /** Negotiate permessage-deflate (RFC 7692). Off by default, as in `ws`. `true` uses the adapter's compressor with the codec's defaults. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Ms a client has to send a complete upgrade request (slowloris guard). Default 10000. */
  handshakeTimeout?: number;
  /** Most connections at once (open plus handshaking); more get 503. Default: no limit. */
  maxConnections?: number;
  /**
   * What `server.publish` does with a subscriber whose outgoing buffer is at
   * or over `limit` bytes: `'close'` it with 1008 (default) or `'skip'` it
   * for that message. Default `{ limit: 4 MiB, policy: 'close' }`.
   */
  topicBackpressure?: TopicBackpressure;
  /**
   * Share topics with other servers: each `publish` reaches this server's
   * subscribers at once and goes to the broker for the others; the server
   * subscribes to the broker for exactly the topics it has subscribers for.
   * `new MemoryBroker()` shares them between servers of one process.
   */
  broker?: Broker;
  /**
   * Where a broker's failures go (a rejected publish or subscribe). Default:
   * ignored, so a broker outage never ends the process; local subscribers
   * are served either way.
   */
  onBrokerError?: (error: Error) => void;
}

/**
 * The part of `AbortSignal` the connect flow uses, so the codec needs no DOM
 * types: a real `AbortSignal` fits it.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** What an adapter's `connect()` offers, whatever the runtime. */
export interface ClientOfferOptions extends ConnectionLimits {
  /** Subprotocols to offer, in preference order; the chosen one is `session.protocol`. */
  protocols?: readonly string[];
  /** Extra request headers (`Authorization`, `Cookie`...). */
  headers?: HeaderInit;
  /** The `Origin` header to send. */
  origin?: string;
  /** Ms for TCP connect, TLS and the opening handshake together. Default 10000. */
  handshakeTimeout?: number;
  /** Abort the attempt (before the connection is open). */
  signal?: AbortSignalLike;
  /** Offer permessage-deflate (RFC 7692) with the adapter's compressor. Default `true`, like `ws`; `false` to not offer it. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /**
   * Called with the server's validated 101 response (status, headers such as
   * `Set-Cookie`, chosen subprotocol and extensions) before `connect()`
   * resolves, like `ws`'s `'upgrade'` event. If it throws, the connection is
   * dropped and `connect()` rejects with that error.
   */
  onUpgrade?: (response: UpgradeResponse) => void;
  /**
   * Follow 301, 302, 303, 307 and 308 answers to the handshake to their
   * `Location` (http(s) maps to ws(s)). Default `false`, as in `ws` and as
   * browsers, which fail a redirected WebSocket.
   */
  followRedirects?: boolean;
  /** Most redirects followed before `FW_ERR_TOO_MANY_REDIRECTS`. Default 10. */
  maxRedirects?: number;
  /**
   * Tunnel through an HTTP proxy with CONNECT: `'http://user:pass@host:port'`,
   * or `{ fromEnv: true }` for `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`.
   * Default: no proxy (the environment is read only when asked).
   */
  proxy?: ProxySetting;
}

/** The runtime hooks an adapter brings (ARCHITECTURE.md: speed-ups enter through injectable hooks). */
export interface AdapterRuntime {
  /** Clock and timers. */
  readonly scheduler: Scheduler;
  /** The permessage-deflate compressor (e.g. `zlibCompressor` from `@framewire/codec/zlib`); default pako. */
  readonly compressor?: (() => Compressor) | undefined;
  /** A native UTF-8 validator; default the codec's portable one. */
  readonly utf8?: Utf8ValidatorFactory | undefined;
  /** Per-connection speed-ups (native mask, allocator) every connection of this adapter gets. */
  readonly hooks?: CodecHooks | undefined;
  /** The runtime's `ReadableStream`, for message bodies with `streamMessagesAbove`. */
  readonly readableStream?: ReadableStreamConstructorLike | undefined;
}

/** Connection-level settings (limits, timers, UTF-8 hook) from the shared options. */
export function connectionSettings(options: ConnectionLimits, runtime: AdapterRuntime): UpgradeConnectionOptions {
  const settings: UpgradeConnectionOptions = { maxMessageSize: options.maxPayload ?? DEFAULT_MAX_PAYLOAD };
  if (runtime.utf8 !== undefined) settings.utf8 = runtime.utf8;
  if (runtime.hooks !== undefined) settings.hooks = runtime.hooks;
  if (options.maxFrameSize !== undefined) settings.maxFrameSize = options.maxFrameSize;
  if (options.closeTimeout !== undefined) settings.closeTimeout = options.closeTimeout;
  if (options.heartbeat !== undefined) settings.heartbeat = options.heartbeat;
  if (options.idleTimeout !== undefined) settings.idleTimeout = options.idleTimeout;
  if (options.maxPingsWhileBlocked !== undefined) settings.maxPingsWhileBlocked = options.maxPingsWhileBlocked;
  if (options.rawText === true) settings.rawText = true;
  if (options.streamMessagesAbove !== undefined) settings.streamMessagesAbove = options.streamMessagesAbove;
  return settings;
}

/** Session-level settings (backpressure, binary type, listener errors) from the shared options. */
export function sessionSettings(options: ConnectionLimits): Omit<SessionOptions, 'protocol' | 'extensions' | 'head'> {
  return {
    ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
    ...(options.maxBufferedAmount !== undefined ? { maxBufferedAmount: options.maxBufferedAmount } : {}),
    ...(options.binaryType !== undefined ? { binaryType: options.binaryType } : {}),
    ...(options.receiveHighWaterMessages !== undefined ? { receiveHighWaterMessages: options.receiveHighWaterMessages } : {}),
    ...(options.receiveHighWaterBytes !== undefined ? { receiveHighWaterBytes: options.receiveHighWaterBytes } : {}),
    ...(options.onListenerError !== undefined ? { onListenerError: options.onListenerError } : {}),
  };
}

/**
 * The extension negotiators for a `perMessageDeflate` option: none for
 * `false`, permessage-deflate (RFC 7692) with the runtime's compressor for
 * `true` or an options object; `undefined` means `enabledByDefault`.
 */
export function deflateNegotiators(
  setting: boolean | PerMessageDeflateOptions | undefined,
  enabledByDefault: boolean,
  runtime: AdapterRuntime,
): ExtensionNegotiator[] {
  const deflate = setting ?? enabledByDefault;
  if (deflate === false) return [];
  const compressor = runtime.compressor?.();
  return [permessageDeflate({ ...(compressor !== undefined ? { compressor } : {}), ...(deflate === true ? {} : deflate) })];
}

/**
 * The upgrade-driver options both roles share: session settings, the
 * scheduler, head limits and connection settings (`connection` may be given
 * when computed once, as a server does).
 */
export function upgradeOptions(
  options: ConnectionLimits,
  runtime: AdapterRuntime,
  connection: UpgradeConnectionOptions = connectionSettings(options, runtime),
): UpgradeOptions {
  return {
    ...sessionSettings(options),
    ...(runtime.readableStream !== undefined ? { readableStream: runtime.readableStream } : {}),
    scheduler: runtime.scheduler,
    ...(options.maxHeaderBytes !== undefined ? { headLimits: { maxHeaderBytes: options.maxHeaderBytes } } : {}),
    connection,
  };
}
