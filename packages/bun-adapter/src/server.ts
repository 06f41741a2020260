import { EventEmitter } from 'node:events';
import type { Socket, TCPSocketListener, TLSOptions } from 'bun';
import {
  ServerRegistry,
  acceptWebSocket,
  permessageDeflate,
  reject,
  rejectUpgrade,
  type AcceptDecision,
  type ExtensionNegotiator,
  type PerMessageDeflateOptions,
  type Session,
  type UpgradeConnectionOptions,
  type UpgradeRequest,
} from '@framewire/codec';
import { zlibCompressor } from '@framewire/codec/zlib';
import { bunScheduler } from './bun-scheduler.js';
import { connectionSettings, sessionSettings, type ConnectionLimits } from './limits.js';
import { BunSocketTransport, socketHandlers, type SocketData } from './socket-transport.js';

/** Where an upgrade came from, handed to the accept hook. */
export interface UpgradeContext {
  /** The Bun socket (`remoteAddress`, TLS details...). */
  readonly socket: Socket<SocketData>;
  /** Always `undefined` on Bun (there is no HTTP server in front); kept for the Node adapter's shape. */
  readonly httpRequest: undefined;
}

/**
 * Decides on an upgrade before anything is sent back: return the codec's
 * `accept({ protocol?, headers? })` or `reject(status, { headers?, body? })`.
 * May be async; a hook that throws answers 500. It sees the parsed request
 * (path, query, headers, origin, offered subprotocols and extensions) and the
 * Bun socket.
 *
 * @example Origin allow-list and token auth, one line each
 * ```ts
 * accept: allowOrigins(['https://app.example']),
 * accept: bearerToken((token) => token === TOKEN, { queryParam: 'token' }),
 * accept: (req) => (getQueryParam(req, 'token') === TOKEN ? accept() : reject(401)),
 * ```
 */
export type AcceptHook = (request: UpgradeRequest, context: UpgradeContext) => AcceptDecision | Promise<AcceptDecision>;

/** The address a server listens on (the fields of Node's `AddressInfo`). */
export interface AddressInfo {
  address: string;
  family: string;
  port: number;
}

/** Options of {@link WebSocketServer}. */
export interface ServerOptions extends ConnectionLimits {
  /** The port to listen on (0 picks one); call {@link WebSocketServer.listen}. */
  port?: number;
  /** The address to bind. Default '127.0.0.1'. */
  host?: string;
  /** Serve wss:// with these TLS options (`cert`, `key`, `ca`...: strings, buffers or `Bun.file()`s). */
  tls?: TLSOptions;
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
  /** Negotiate permessage-deflate (RFC 7692). Off by default, as in `ws`. `true` uses node:zlib with the codec's defaults. */
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
  /** The server listens. */
  listening: [address: AddressInfo];
  /** An upgrade was refused (status and why), for logging. */
  rejected: [status: number, reason: string];
  /** A server-level error. Connection errors go to each session's 'error'. */
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

/**
 * A WebSocket server on Bun's TCP sockets (`Bun.listen`, TCP or TLS): the
 * codec reads every byte of the upgrade request and every frame. Each
 * connection is a codec `Session`: `send`, `close`, `ping`,
 * `bufferedAmount`, `drained()`, `on('message')`, async iteration, `closed`.
 * The same API as `@framewire/node-adapter`'s standalone server.
 *
 * @example
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
  #listener: TCPSocketListener<SocketData> | undefined;
  #address: AddressInfo | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    super();
    this.#options = options;
    this.#registry = new ServerRegistry({
      scheduler: bunScheduler,
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

  /** The address, once listening. */
  address(): AddressInfo | undefined {
    return this.#address;
  }

  /** Listen on `port`/`host` (TCP, or TLS when `tls` is given). Resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    if (this.#listener !== undefined) return Promise.reject(new Error('already listening'));
    if (this.#closing !== undefined) return Promise.reject(new Error('the server is closed'));
    const hostname = this.#options.host ?? '127.0.0.1';
    try {
      this.#listener = Bun.listen<SocketData>({
        hostname,
        port: this.#options.port ?? 0,
        // We half-close ourselves once our last bytes are out (see BunSocketTransport).
        allowHalfOpen: true,
        ...(this.#options.tls !== undefined ? { tls: this.#options.tls } : {}),
        socket: { ...socketHandlers, open: (socket) => this.#serve(socket) },
      });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const address: AddressInfo = {
      address: this.#listener.hostname,
      family: this.#listener.hostname.includes(':') ? 'IPv6' : 'IPv4',
      port: this.#listener.port,
    };
    this.#address = address;
    this.emit('listening', address);
    return Promise.resolve(address);
  }

  /**
   * Graceful shutdown: stop listening, send 1001 to every open connection,
   * wait up to `timeout` for their close handshakes, then destroy what is
   * left. Resolves when every connection is closed.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#listener?.stop(false);
      await this.#registry.shutdown(options);
      this.#listener = undefined;
      this.emit('close');
    })();
    return this.#closing;
  }

  #serve(socket: Socket<SocketData>): void {
    const transport = new BunSocketTransport(socket);
    if (this.#closing !== undefined) {
      transport.write([rejectUpgrade(503)]);
      transport.end();
      return;
    }
    const hook = this.#options.accept;
    const paths = this.#paths;
    const upgrade = acceptWebSocket(transport, {
      ...sessionSettings(this.#options),
      scheduler: bunScheduler,
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
              return hook === undefined ? { type: 'accept' } : hook(request, { socket, httpRequest: undefined });
            },
          }
        : {}),
    });
    transport.attach(upgrade);
    void upgrade.result.then((result) => {
      if (result.type === 'accepted') this.emit('connection', result.session, result.request);
      else if (result.type === 'rejected') this.emit('rejected', result.status, result.reason);
    });
  }
}
