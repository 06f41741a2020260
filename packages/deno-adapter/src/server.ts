import { EventEmitter } from 'node:events';
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
import { ConnTransport, trackTransport } from './conn-transport.js';
import { denoScheduler } from './deno-scheduler.js';
import { RequestSniffer, serveHttp, type FetchHandler, type FirstRequest } from './http-fallback.js';
import { connectionSettings, sessionSettings, type ConnectionLimits } from './limits.js';

/** Where an upgrade came from, handed to the accept hook. */
export interface UpgradeContext {
  /** The Deno connection (TCP or TLS). */
  readonly conn: Deno.Conn;
  /** The client's address. */
  readonly remoteAddr: Deno.NetAddr;
}

/**
 * Decides on an upgrade before anything is sent back: return the codec's
 * `accept({ protocol?, headers? })` or `reject(status, { headers?, body? })`.
 * May be async; a hook that throws answers 500. It sees the parsed request
 * (path, query, headers, origin, offered subprotocols and extensions) and the
 * Deno connection.
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

/** TLS material for wss://, PEM text as `Deno.listenTls` takes it. */
export interface ServerTlsOptions {
  /** Certificate chain, PEM. */
  cert: string;
  /** Private key, PEM. */
  key: string;
}

/** Options of {@link WebSocketServer}. */
export interface ServerOptions extends ConnectionLimits {
  /** The port to listen on (0 picks one); call {@link WebSocketServer.listen}. */
  port?: number;
  /** The address to bind. Default '127.0.0.1'. */
  host?: string;
  /** Serve wss:// (`Deno.listenTls`) with this certificate and key. */
  tls?: ServerTlsOptions;
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
  /**
   * Requests that are not WebSocket upgrades go here (a `Request` in, a
   * `Response` out, as with `Deno.serve`); the connection closes after the
   * response. Without it they get 426 Upgrade Required.
   */
  fetch?: FetchHandler;
  /** Largest request body read for `fetch` (413 beyond). Default 1 MiB. */
  maxBodyBytes?: number;
}

/** Events of a {@link WebSocketServer}. */
export interface ServerEvents {
  /** A client connected. */
  connection: [session: Session, request: UpgradeRequest];
  /** The server listens. */
  listening: [address: AddressInfo];
  /** An upgrade was refused (status and why), for logging. */
  rejected: [status: number, reason: string];
  /** A server-level error (the accept loop failed). Connection errors go to each session's 'error'. */
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

/** After a plain HTTP response, a client that keeps its side open is dropped after this long. */
const HTTP_LINGER_MS = 2000;

/**
 * A WebSocket server on Deno's raw TCP (`Deno.listen`) or TLS
 * (`Deno.listenTls`): the codec reads every byte of the upgrade request and
 * every frame. Each connection is a codec `Session`: `send`, `close`,
 * `ping`, `bufferedAmount`, `drained()`, `on('message')`, async iteration,
 * `closed`. The same API as `@framewire/node-adapter`'s standalone server,
 * plus a fetch-style handler for the other requests on the same port.
 *
 * @example
 * ```ts
 * const server = new WebSocketServer({ port: 8080, fetch: () => new Response('hello') });
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
  /** Every conn not yet released, so close() can wait for (or drop) them all. */
  readonly #transports = new Set<ConnTransport>();
  /** Conns whose first request is still being read. */
  readonly #sniffing = new Set<ConnTransport>();
  #listener: Deno.Listener<Deno.Conn, Deno.NetAddr> | undefined;
  #acceptLoop: Promise<void> | undefined;
  #address: AddressInfo | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    super();
    this.#options = options;
    this.#registry = new ServerRegistry({
      scheduler: denoScheduler,
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
    const port = this.#options.port ?? 0;
    const tls = this.#options.tls;
    try {
      this.#listener =
        tls !== undefined
          ? Deno.listenTls({ hostname, port, cert: tls.cert, key: tls.key, alpnProtocols: ['http/1.1'] })
          : Deno.listen({ hostname, port });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const addr = this.#listener.addr;
    const address: AddressInfo = { address: addr.hostname, family: addr.hostname.includes(':') ? 'IPv6' : 'IPv4', port: addr.port };
    this.#address = address;
    this.#acceptLoop = this.#accept(this.#listener);
    this.emit('listening', address);
    return Promise.resolve(address);
  }

  /**
   * Serve one connection you accepted yourself (from your own `Deno.listen`):
   * its first bytes must be an HTTP request.
   */
  handleConn(conn: Deno.Conn): void {
    this.#serve(conn);
  }

  /**
   * Graceful shutdown: stop listening, send 1001 to every open connection,
   * wait up to `timeout` for their close handshakes, then destroy what is
   * left. Resolves when every connection is closed and released.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      try {
        this.#listener?.close();
      } catch {
        // already closed
      }
      // Connections that have not sent a request yet are dropped.
      for (const transport of this.#sniffing) transport.destroy();
      await this.#registry.shutdown(options);
      await this.#acceptLoop;
      const deadline = setTimeout(() => {
        for (const transport of this.#transports) transport.destroy();
      }, options.timeout ?? 5000);
      await Promise.all([...this.#transports].map((t) => t.released));
      clearTimeout(deadline);
      this.#listener = undefined;
      this.emit('close');
    })();
    return this.#closing;
  }

  async #accept(listener: Deno.Listener<Deno.Conn, Deno.NetAddr>): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        // close() ends the loop with BadResource; anything else is reported.
        if (this.#closing === undefined && !(error instanceof Deno.errors.BadResource)) {
          this.emit('error', error instanceof Error ? error : new Error(String(error)));
        }
        return;
      }
      this.#serve(conn);
    }
  }

  #serve(conn: Deno.Conn): void {
    const transport = new ConnTransport(conn, this.#options.io);
    this.#transports.add(transport);
    void transport.released.then(() => this.#transports.delete(transport));
    if (this.#closing !== undefined) {
      transport.write([rejectUpgrade(503)]);
      transport.end();
      this.#linger(transport);
      return;
    }
    const options = this.#options;
    const timeout = options.handshakeTimeout ?? 10_000;
    const limits = options.maxHeaderBytes !== undefined ? { maxHeaderBytes: options.maxHeaderBytes } : {};
    this.#sniffing.add(transport);
    const onFirst = async (first: FirstRequest): Promise<void> => {
      this.#sniffing.delete(transport);
      if (first.type === 'gone') {
        transport.destroy();
        return;
      }
      if (first.type === 'upgrade') {
        this.#upgrade(transport, first.bytes);
        return;
      }
      transport.pause();
      const remoteAddr = conn.remoteAddr as Deno.NetAddr;
      const status = await serveHttp(transport, first.head, first.rest, {
        handler: options.fetch,
        secure: options.tls !== undefined,
        remoteAddr,
        maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
        scheduler: denoScheduler,
        timeoutMs: timeout,
      });
      if (status === 426) this.emit('rejected', 426, 'not a WebSocket upgrade');
      // Keep reading (and discarding) until the client closes its side.
      transport.attach({ receive: () => {}, receiveEof: () => transport.destroy(), drain: () => {} });
      transport.resume();
      this.#linger(transport);
    };
    transport.attach(new RequestSniffer(denoScheduler, limits, timeout, (first) => void onFirst(first)));
  }

  #upgrade(transport: ConnTransport, bytes: Uint8Array): void {
    const options = this.#options;
    const hook = options.accept;
    const paths = this.#paths;
    const conn = transport.conn;
    const upgrade = acceptWebSocket(transport, {
      ...sessionSettings(options),
      scheduler: denoScheduler,
      registry: this.#registry,
      handshakeTimeout: options.handshakeTimeout ?? 10_000,
      ...(options.maxHeaderBytes !== undefined ? { headLimits: { maxHeaderBytes: options.maxHeaderBytes } } : {}),
      ...(options.protocols !== undefined ? { protocols: options.protocols } : {}),
      extensions: this.#extensions,
      connection: this.#connection,
      ...(paths !== undefined || hook !== undefined
        ? {
            accept: (request: UpgradeRequest): AcceptDecision | Promise<AcceptDecision> => {
              if (paths !== undefined && !paths.has(request.path)) return reject(404);
              return hook === undefined ? { type: 'accept' } : hook(request, { conn, remoteAddr: conn.remoteAddr as Deno.NetAddr });
            },
          }
        : {}),
      initialBytes: bytes,
    });
    transport.attach(upgrade);
    void upgrade.result.then((result) => {
      if (result.type === 'accepted') {
        // From now on bytes go straight to the session, so the driver, the
        // parsed head and the handshake parser can be collected (memory per idle connection).
        transport.attach(result.session);
        trackTransport(result.session, transport);
        this.emit('connection', result.session, result.request);
      } else if (result.type === 'rejected') {
        this.emit('rejected', result.status, result.reason);
        this.#linger(transport);
      } else transport.destroy();
    });
  }

  /** Drop a conn whose client does not close it soon after our last response. */
  #linger(transport: ConnTransport): void {
    const timer = denoScheduler.setTimer(() => transport.destroy(), HTTP_LINGER_MS);
    void transport.released.then(() => denoScheduler.clearTimer(timer));
  }
}
