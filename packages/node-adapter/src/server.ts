import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import {
  ServerRegistry,
  acceptWebSocket,
  permessageDeflate,
  reject,
  rejectUpgrade,
  utf8ValidatorFromWholeBuffer,
  type AcceptDecision,
  type ExtensionNegotiator,
  type PerMessageDeflateOptions,
  type Session,
  type SessionOptions,
  type UpgradeConnectionOptions,
  type UpgradeRequest,
} from '@framewire/codec';
import { zlibCompressor } from '@framewire/codec/zlib';
import { nodeScheduler } from './node-scheduler.js';
import { SocketTransport } from './socket-transport.js';
import { attachRoute } from './upgrade-router.js';

/** The validator hook every connection gets: Node's native `buffer.isUtf8`. */
export const nodeUtf8 = utf8ValidatorFromWholeBuffer(isUtf8);

/** Where the server came from, handed to the accept hook. */
export interface UpgradeContext {
  /** The socket (a `tls.TLSSocket` for wss). */
  readonly socket: Socket;
  /** Node's parsed request in attach / `handleUpgrade` mode; `undefined` standalone. */
  readonly httpRequest: IncomingMessage | undefined;
}

/**
 * Decides on an upgrade before anything is sent back: return the codec's
 * `accept({ protocol?, headers? })` or `reject(status, { headers?, body? })`.
 * May be async; a hook that throws answers 500. It sees the parsed request
 * (path, query, headers, origin, offered subprotocols and extensions) and the
 * Node socket / IncomingMessage.
 *
 * @example Origin allow-list and token auth, one line each
 * ```ts
 * accept: allowOrigins(['https://app.example']),
 * accept: bearerToken((token) => token === TOKEN, { queryParam: 'token' }),
 * accept: (req) => (getQueryParam(req, 'token') === TOKEN ? accept() : reject(401)),
 * ```
 */
export type AcceptHook = (request: UpgradeRequest, context: UpgradeContext) => AcceptDecision | Promise<AcceptDecision>;

/** Options shared by {@link WebSocketServer} and `connect()`: limits and timers, with safe defaults. */
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
  /** Unconsumed received messages at which reading pauses (receive backpressure). Default 64. */
  receiveHighWaterMessages?: number;
  /** Unconsumed received bytes at which reading pauses. Default 16 MiB. */
  receiveHighWaterBytes?: number;
  /** Ms to wait for the peer's close frame after ours. Default 5000. */
  closeTimeout?: number;
  /** Ping after `interval` ms of silence; 1006 when no answer within `timeout`. Off by default. */
  heartbeat?: { interval: number; timeout: number };
  /** Close with 1001 after this many ms without traffic. Off by default. */
  idleTimeout?: number;
  /** Binary messages as `Uint8Array` (default) or `ArrayBuffer`. */
  binaryType?: 'uint8array' | 'arraybuffer';
  /** Largest request/response head in bytes (431 beyond). Codec default. */
  maxHeaderBytes?: number;
  /** Where listener exceptions go. Default: an unhandled rejection, like `ws`. */
  onListenerError?: (error: unknown, event: string) => void;
}

/** Options of {@link WebSocketServer}. */
export interface ServerOptions extends ConnectionLimits {
  /** Standalone: the port to listen on (0 picks one); call {@link WebSocketServer.listen}. */
  port?: number;
  /** Standalone: the address to bind. Default '127.0.0.1'. */
  host?: string;
  /** Standalone: serve wss:// with these TLS options (`key`, `cert`, `ca`...). */
  tls?: TlsOptions;
  /** Attach mode: share this http(s) server's port (its 'upgrade' event). */
  server?: HttpServer | HttpsServer;
  /**
   * Paths this server takes (exact match on the path, query ignored).
   * Default: every path. Other paths get 404.
   */
  path?: string | readonly string[];
  /** The accept hook (origin checks, auth). */
  accept?: AcceptHook;
  /**
   * Subprotocols we speak, in our preference order, or a function that picks
   * one of the offered ones (`undefined`: none).
   */
  protocols?: readonly string[] | ((offered: readonly string[], request: UpgradeRequest) => string | undefined);
  /** Negotiate permessage-deflate (RFC 7692). Off by default, as in `ws`. `true` uses zlib with the codec's defaults. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Ms a client has to send a complete upgrade request (slowloris guard). Default 10000. */
  handshakeTimeout?: number;
  /** Most connections at once (open plus handshaking); more get 503. Default: no limit. */
  maxConnections?: number;
}

/** Events of a {@link WebSocketServer}. */
export interface ServerEvents {
  /** A client connected. */
  connection: [session: Session, request: UpgradeRequest];
  /** The standalone server listens. */
  listening: [address: AddressInfo];
  /** An upgrade was refused (status and why), for logging. */
  rejected: [status: number, reason: string];
  /** A server-level error (listen failure). Connection errors go to each session's 'error'. */
  error: [error: Error];
  /** {@link WebSocketServer.close} finished. */
  close: [];
}

/** Options of {@link WebSocketServer.close}. */
export interface CloseOptions {
  /** Ms to wait for close handshakes after 1001 before destroying what is left. Default 5000. */
  timeout?: number;
  /** Close reason sent with 1001. */
  reason?: string;
}

const MiB = 1024 * 1024;

/**
 * A WebSocket server on Node: standalone (`port`, `host`, `tls`), attached to
 * an existing `http`/`https` server (`server`), or driven by hand with
 * {@link WebSocketServer.handleUpgrade}. Each connection is a codec
 * `Session`: `send`, `close`, `ping`, `bufferedAmount`, `drained()`,
 * `on('message')`, async iteration, `closed`.
 *
 * @example Standalone
 * ```ts
 * const server = new WebSocketServer({ port: 8080 });
 * server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
 * await server.listen();
 * ```
 */
export class WebSocketServer extends EventEmitter<ServerEvents> {
  readonly #options: ServerOptions;
  readonly #registry: ServerRegistry;
  readonly #paths: ReadonlySet<string> | undefined;
  readonly #extensions: readonly ExtensionNegotiator[];
  readonly #connection: UpgradeConnectionOptions;
  #listener: NetServer | undefined;
  #detach: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    super();
    this.#options = options;
    this.#registry = new ServerRegistry({
      scheduler: nodeScheduler,
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
    });
    const path = options.path;
    this.#paths = path === undefined ? undefined : new Set(typeof path === 'string' ? [path] : path);
    const deflate = options.perMessageDeflate;
    this.#extensions =
      deflate === undefined || deflate === false
        ? []
        : [permessageDeflate({ compressor: zlibCompressor(), ...(deflate === true ? {} : deflate) })];
    this.#connection = connectionSettings(options);
    if (options.server !== undefined) {
      this.#detach = attachRoute(options.server, {
        matches: (pathname) => this.#matches(pathname),
        handleUpgrade: (request, socket, head) => this.handleUpgrade(request, socket, head),
        rejectUnmatched: (socket, status) => this.#refuseRaw(socket, status),
      });
    }
  }

  /** Open connections (a live, read-only set). */
  get clients(): ReadonlySet<Session> {
    return this.#registry.clients;
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.#registry.size;
  }

  /** Handshakes in progress. */
  get pendingCount(): number {
    return this.#registry.pending;
  }

  /** The standalone listener's address, once listening. */
  address(): AddressInfo | undefined {
    const address = this.#listener?.address();
    return address !== null && typeof address === 'object' ? address : undefined;
  }

  /**
   * Standalone mode: listen on `port`/`host` (TCP, or TLS when `tls` is
   * given). Resolves with the bound address.
   */
  listen(): Promise<AddressInfo> {
    if (this.#options.server !== undefined) {
      return Promise.reject(new Error('listen() is for standalone servers; this one is attached to an http server'));
    }
    if (this.#listener !== undefined) return Promise.reject(new Error('already listening'));
    const onSocket = (socket: Socket): void => this.handleSocket(socket);
    const listener =
      this.#options.tls !== undefined
        ? createTlsServer(
            // The TLS handshake gets the same deadline as the HTTP one (Node's default is 120 s).
            { ALPNProtocols: ['http/1.1'], handshakeTimeout: this.#options.handshakeTimeout ?? 10_000, ...this.#options.tls },
            onSocket,
          )
        : createNetServer(onSocket);
    // A client that fails the TLS handshake is only a log line, never a crash.
    listener.on('tlsClientError', () => {});
    this.#listener = listener;
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.#options.port ?? 0, this.#options.host ?? '127.0.0.1', () => {
        listener.off('error', reject);
        listener.on('error', (error) => this.emit('error', error));
        const address = listener.address() as AddressInfo;
        this.emit('listening', address);
        resolve(address);
      });
    });
  }

  /**
   * Take a raw socket whose first bytes are an HTTP upgrade request (the
   * codec reads and validates it, with the handshake timeout).
   */
  handleSocket(socket: Socket): void {
    this.#serve(socket, undefined);
  }

  /**
   * Full control: take an upgrade Node's http server already parsed (from
   * its 'upgrade' event). The path filter does not apply here; the accept
   * hook, limits and extensions do.
   *
   * @example
   * ```ts
   * const wss = new WebSocketServer();
   * httpServer.on('upgrade', (req, socket, head) => {
   *   if (req.url?.startsWith('/live')) wss.handleUpgrade(req, socket, head);
   *   else socket.destroy();
   * });
   * ```
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The codec validates the request itself: give it the head Node parsed,
    // re-encoded byte for byte from rawHeaders, followed by what Node read past it.
    const lines = [`${request.method ?? 'GET'} ${request.url ?? '/'} HTTP/${request.httpVersion}`];
    const raw = request.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
    const headBytes = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
    this.#serve(socket as Socket, request, head.length > 0 ? Buffer.concat([headBytes, head]) : headBytes);
  }

  /**
   * Graceful shutdown: stop accepting (the standalone listener closes; an
   * attached server stops routing to us), send 1001 to every open
   * connection, wait up to `timeout` for their close handshakes, then destroy
   * what is left. Resolves when every connection is closed.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#detach?.();
      this.#detach = undefined;
      const listener = this.#listener;
      const stopped = listener === undefined ? Promise.resolve() : new Promise<void>((resolve) => listener.close(() => resolve()));
      await this.#registry.shutdown(options);
      await stopped;
      this.emit('close');
    })();
    return this.#closing;
  }

  #matches(pathname: string): boolean {
    return this.#paths === undefined || this.#paths.has(pathname);
  }

  #refuseRaw(socket: Duplex, status: number): void {
    socket.on('error', () => {});
    socket.end(rejectUpgrade(status));
    // A client that never closes its side must not hold the socket.
    setTimeout(() => socket.destroy(), 2000).unref();
    this.emit('rejected', status, 'no server for this path');
  }

  #serve(socket: Socket, httpRequest: IncomingMessage | undefined, initialBytes?: Uint8Array): void {
    socket.on('error', () => {}); // errors reach the session through the transport; never unhandled
    if (this.#closing !== undefined) {
      socket.end(rejectUpgrade(503));
      return;
    }
    const transport = new SocketTransport(socket);
    const hook = this.#options.accept;
    // Standalone, the path filter runs here; attached, the router already matched.
    const paths = httpRequest === undefined ? this.#paths : undefined;
    const upgrade = acceptWebSocket(transport, {
      ...sessionSettings(this.#options),
      scheduler: nodeScheduler,
      registry: this.#registry,
      handshakeTimeout: this.#options.handshakeTimeout ?? 10_000,
      ...(this.#options.maxHeaderBytes !== undefined ? { headLimits: { maxHeaderBytes: this.#options.maxHeaderBytes } } : {}),
      ...(this.#options.protocols !== undefined ? { protocols: this.#options.protocols } : {}),
      extensions: this.#extensions,
      connection: this.#connection,
      ...(paths !== undefined || hook !== undefined
        ? {
            accept: (request: UpgradeRequest): AcceptDecision | Promise<AcceptDecision> => {
              if (paths !== undefined && !paths.has(request.path)) return reject(404);
              return hook === undefined ? { type: 'accept' } : hook(request, { socket, httpRequest });
            },
          }
        : {}),
      ...(initialBytes !== undefined ? { initialBytes } : {}),
    });
    transport.attach(upgrade);
    void upgrade.result.then((result) => {
      if (result.type === 'accepted') this.emit('connection', result.session, result.request);
      else if (result.type === 'rejected') this.emit('rejected', result.status, result.reason);
    });
  }
}

/** Connection-level settings from the shared limit options. @internal */
export function connectionSettings(options: ConnectionLimits): UpgradeConnectionOptions {
  const settings: UpgradeConnectionOptions = { utf8: nodeUtf8, maxMessageSize: options.maxPayload ?? 16 * MiB };
  if (options.maxFrameSize !== undefined) settings.maxFrameSize = options.maxFrameSize;
  if (options.closeTimeout !== undefined) settings.closeTimeout = options.closeTimeout;
  if (options.heartbeat !== undefined) settings.heartbeat = options.heartbeat;
  if (options.idleTimeout !== undefined) settings.idleTimeout = options.idleTimeout;
  return settings;
}

/** Session-level settings from the shared limit options. @internal */
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
