import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { checkConnectionShape } from '@framewire/codec/whatwg';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import {
  HttpHeaders,
  RequestSniffer,
  ServerCore,
  rejectUpgrade,
  answerPlainRequest,
  type FetchHandler as CodecFetchHandler,
  type FirstRequest,
  utf8ValidatorFromWholeBuffer,
  type AdapterAcceptHook,
  type AdapterRuntime,
  type ReadableStreamConstructorLike,
  type RequestHead,
  type PublishData,
  type PublishOptions,
  type ServerCloseOptions,
  type ServerEventMap,
  type PathParams,
  type RouteParams,
  type ServerMetrics,
  type ServerPolicyOptions,
  type ServerRequest,
  type Session,
} from '@framewire/codec/adapter';
import { zlibCompressor } from '@framewire/codec/zlib';
import { nodeHooks } from './native-hooks.js';
import { nodeScheduler } from './node-scheduler.js';
import { SocketTransport, ignoreSocketError } from './socket-transport.js';
import { attachRoute } from './upgrade-router.js';
import type { ServerHttp2Stream } from 'node:http2';
import { attachStreamRoute, isHttp2Server, type AnyHttp2Server } from './http2-router.js';
import { serveHttp2Stream } from './http2-serve.js';

/** The validator hook every connection gets: Node's native `buffer.isUtf8`. */
import { shaped, type ConnectionShape, type ShapedConnection } from './whatwg.js';
export const nodeUtf8 = utf8ValidatorFromWholeBuffer(isUtf8);

/** What a standalone server's `fetch` handler gets beside the request. */
export interface FetchInfo {
  /** The client's address. */
  readonly remoteAddress: string | undefined;
}

/** A standalone server's handler of plain HTTP requests: a `Request` in, a `Response` out. */
export type FetchHandler = CodecFetchHandler<FetchInfo>;

/** Where the server came from, handed to the accept hook. */
export interface UpgradeContext {
  /** The socket (a `tls.TLSSocket` for wss). */
  readonly socket: Socket;
  /** Node's parsed request in attach / `handleUpgrade` mode; `undefined` standalone. */
  readonly httpRequest: IncomingMessage | undefined;
  /** The HTTP/2 stream of an RFC 8441 extended CONNECT; `undefined` over HTTP/1.1. */
  readonly http2Stream?: ServerHttp2Stream | undefined;
}

/**
 * Decides on an upgrade before anything is sent back (the codec's
 * `AdapterAcceptHook`): return `accept({ protocol?, headers? })` or
 * `reject(status, { headers?, body? })`, maybe async; a hook that throws
 * answers 500. It sees the parsed request and the Node socket / IncomingMessage.
 */
export type AcceptHook<Data = unknown, Params = PathParams> = AdapterAcceptHook<UpgradeContext, Data, Params>;

/** The runtime hooks of every Node connection: timers, node:zlib, native UTF-8 check. @internal */
export const nodeRuntime: AdapterRuntime = {
  scheduler: nodeScheduler,
  compressor: zlibCompressor,
  utf8: nodeUtf8,
  hooks: nodeHooks,
  // Node's web stream, for `messageStream` bodies (the codec takes no global itself).
  readableStream: ReadableStream as unknown as ReadableStreamConstructorLike,
};

/** Options of {@link WebSocketServer}. */
export interface ServerOptions<Data = unknown, Path extends string = string, S extends ConnectionShape = 'session'>
  extends ServerPolicyOptions<UpgradeContext, Data, Path> {
  /**
   * What 'connection' hands out: the `Session` (default), the WHATWG
   * `WebSocket` over it (`'websocket'`, already OPEN) or a `WebSocketStream`
   * (`'websocketstream'`), so browser-style code runs on the server.
   */
  shape?: S;
  /** Standalone: the port to listen on (0 picks one); call {@link WebSocketServer.listen}. */
  port?: number;
  /** Standalone: the address to bind. Default '127.0.0.1'. */
  host?: string;
  /** Standalone: serve wss:// with these TLS options (`key`, `cert`, `ca`...). */
  tls?: TlsOptions;
  /**
   * Standalone: requests that are not WebSocket upgrades go here (a
   * `Request` in, a `Response` out), so a page or an endpoint can share the
   * port without `node:http`; the connection closes after the response.
   * Given this, other plain requests get what it answers; without it, a
   * plain request is refused by the handshake checks (400).
   * @example
   * ```ts
   * const server = new WebSocketServer({ port: 8080, fetch: () => new Response('hello') });
   * ```
   */
  fetch?: FetchHandler;
  /** Largest request body read for `fetch` (413 beyond). Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Attach mode: share this http(s) server's port (its 'upgrade' event), or
   * an `http2` server's: extended CONNECT streams (RFC 8441; create it with
   * `settings: { enableConnectProtocol: true }`) and, with `allowHTTP1`,
   * HTTP/1.1 upgrades on the same port.
   */
  server?: HttpServer | HttpsServer | AnyHttp2Server;
}

/** Events of a {@link WebSocketServer}: `connection`, `listening`, `rejected`, `error`, `close`. */
export type ServerEvents<Data = unknown, Params = PathParams, S extends ConnectionShape = 'session'> = ServerEventMap<
  AddressInfo,
  Data,
  Params,
  ShapedConnection<S, Data>
>;

/** Options of {@link WebSocketServer.close}: `timeout` (ms, default 5000) and the 1001 `reason`. */
export type CloseOptions = ServerCloseOptions;

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
export class WebSocketServer<Data = unknown, Path extends string = string, S extends ConnectionShape = 'session'> extends EventEmitter<
  ServerEvents<Data, RouteParams<Path>, S>
> {
  readonly #options: ServerOptions<Data, Path, ConnectionShape>;
  readonly #core: ServerCore<UpgradeContext>;
  #listener: NetServer | undefined;
  #detach: (() => void) | undefined;
  /** Plain HTTP connections of `fetch` (standalone), destroyed on close. */
  readonly #plain = new Set<SocketTransport>();

  /** @throws TypeError for a malformed `path` pattern. */
  constructor(options: ServerOptions<Data, Path, S> = {}) {
    super();
    this.#options = options;
    const shape = checkConnectionShape(options.shape);
    // Typed by the events map of S; the value is what `shape` (checked just above) makes.
    const emitConnection = this.emit.bind(this) as (event: 'connection', connection: unknown, request: unknown) => boolean;
    this.#core = new ServerCore(options, nodeRuntime, {
      connection: (session, request) => emitConnection('connection', shape === 'session' ? session : shaped(session, shape), request),
      rejected: (status, reason) => this.emit('rejected', status, reason),
      close: () => this.emit('close'),
    });
    if (options.server !== undefined && isHttp2Server(options.server)) {
      this.#detach = this.#attachHttp2(options.server);
    } else if (options.server !== undefined) {
      this.#detach = attachRoute(options.server, {
        matches: (pathname) => this.#core.matches(pathname),
        handleUpgrade: (request, socket, head) => this.handleUpgrade(request, socket, head),
        rejectUnmatched: (socket, status) => this.#refuseRaw(socket, status),
      });
    }
  }

  /** Open connections (a live, read-only set). */
  get clients(): ReadonlySet<Session<Data>> {
    return this.#core.clients as ReadonlySet<Session<Data>>;
  }

  /**
   * The server's counters: connections, refused handshakes, messages, bytes,
   * close codes. Plain data; `formatPrometheus(server.metrics())` serves it.
   */
  metrics(): ServerMetrics {
    return this.#core.metrics();
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.#core.size;
  }

  /** Handshakes in progress. */
  get pendingCount(): number {
    return this.#core.pending;
  }

  /**
   * Send `data` to every connection subscribed to `topic` (`ws.subscribe(topic)`),
   * from anywhere: a timer, an HTTP handler, a message handler. The frame is
   * built once and written to each subscriber; `except` leaves one session
   * out; `compress` lets permessage-deflate subscribers compress it with
   * their own context. A subscriber over `topicBackpressure.limit` buffered
   * bytes is closed with 1008 (or skipped), never waited for.
   *
   * @returns how many subscribers the message was queued for.
   * @throws UsageError for a topic that is not a string of 1 to 1024 characters, or data that is not a string or bytes.
   *
   * @example
   * ```ts
   * server.on('connection', (ws) => ws.subscribe('ticks'));
   * setInterval(() => server.publish('ticks', String(Date.now())), 1000);
   * ```
   */
  publish(topic: string, data: PublishData, options?: PublishOptions): number {
    return this.#core.publish(topic, data, options);
  }

  /**
   * Send several messages, in order, to every connection subscribed to
   * `topic`: each subscriber gets the same bytes as from one
   * {@link WebSocketServer.publish} per message (the backpressure limit is
   * checked before each), but the frames are built once into one buffer and
   * written to each subscriber in one write: for bursts of small messages
   * (lines, ticks). With `compress: true`, permessage-deflate subscribers
   * get the messages one by one, compressed as `publish` would.
   *
   * @returns how many messages were queued, summed over subscribers (n messages to s subscribers: n × s).
   * @throws UsageError as {@link WebSocketServer.publish}, or when `messages` is not an array.
   *
   * @example
   * ```ts
   * server.publishBatch('log', ['line 1', 'line 2', 'line 3']);
   * ```
   */
  publishBatch(topic: string, messages: readonly PublishData[], options?: PublishOptions): number {
    return this.#core.publishBatch(topic, messages, options);
  }

  /** How many connections are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#core.subscriberCount(topic);
  }

  /** Topics with at least one subscriber (a snapshot). */
  get topics(): string[] {
    return this.#core.topics;
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
            { ALPNProtocols: ['http/1.1'], handshakeTimeout: this.#core.handshakeTimeout, ...this.#options.tls },
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
   * codec reads and validates it, with the handshake timeout); with `fetch`,
   * a plain request on it goes to `fetch`.
   */
  handleSocket(socket: Socket): void {
    if (this.#options.fetch === undefined) return this.#serve(socket, undefined);
    socket.on('error', ignoreSocketError);
    if (this.#core.closing) {
      socket.end(rejectUpgrade(503));
      return;
    }
    this.#route(socket, new SocketTransport(socket));
  }

  /**
   * With `fetch`: read the first request head once (the core gets it
   * parsed, nothing is read twice); upgrades go to the core, other requests
   * to `fetch`.
   */
  #route(socket: Socket, transport: SocketTransport): void {
    const options = this.#options;
    const timeout = this.#core.handshakeTimeout;
    const remote = socket.remoteAddress === undefined ? undefined : { address: socket.remoteAddress, port: socket.remotePort ?? 0 };
    const drop = (): void => {
      this.#plain.delete(transport);
      transport.destroy();
    };
    this.#plain.add(transport);
    // Upgrades (every connection but the plain ones) go on synchronously; only `fetch` waits.
    const onFirst = (first: FirstRequest): void => {
      if (first.type === 'gone') return drop();
      // A failure while answering one plain request drops that connection only.
      if (first.type === 'http') return void answer(first).catch(drop);
      this.#plain.delete(transport);
      if (this.#core.closing) {
        transport.write([rejectUpgrade(503)]);
        transport.end();
        return;
      }
      const init = first.type === 'upgrade' ? { parsedRequest: { head: first.head, rest: first.rest } } : { initialBytes: first.bytes };
      try {
        this.#core.upgrade(transport, { socket, httpRequest: undefined }, { ...init, filterPath: true, remote });
      } catch {
        drop();
      }
    };
    const answer = (first: Extract<FirstRequest, { type: 'http' }>): Promise<void> =>
      answerPlainRequest(
        transport,
        first,
        {
          handler: options.fetch,
          secure: options.tls !== undefined,
          info: { remoteAddress: socket.remoteAddress },
          fallbackHost: options.host ?? '127.0.0.1',
          maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
          scheduler: nodeScheduler,
          timeoutMs: timeout,
        },
        (status) => this.#core.refused(status, 'not a WebSocket upgrade'),
        drop,
      );
    const limits = options.maxHeaderBytes !== undefined ? { maxHeaderBytes: options.maxHeaderBytes } : {};
    transport.attach(new RequestSniffer(nodeScheduler, limits, timeout, onFirst));
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
    // The codec validates the head Node already parsed (not parsed twice),
    // then takes what Node read past it.
    const raw = request.rawHeaders;
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
    const parsed: RequestHead = {
      kind: 'request',
      method: request.method ?? 'GET',
      target: request.url ?? '/',
      version: { major: request.httpVersionMajor, minor: request.httpVersionMinor },
      headers: new HttpHeaders(pairs),
    };
    this.#serve(socket as Socket, request, { head: parsed, rest: head });
  }

  /**
   * Full control over HTTP/2: take a stream from an `http2` server's
   * 'stream' event whose `:method` is CONNECT (RFC 8441). The header block
   * is checked (`:protocol websocket`, `:path`, `:scheme`), then the same
   * accept hook, limits, subprotocols and extensions as HTTP/1.1 apply; the
   * answer is `:status 200` or the refusal's status. The `path` filter
   * applies too.
   *
   * @example
   * ```ts
   * h2server.on('stream', (stream, headers, flags, rawHeaders) => {
   *   if (headers[':method'] === 'CONNECT') wss.handleStream(stream, rawHeaders);
   * });
   * ```
   */
  handleStream(stream: ServerHttp2Stream, rawHeaders: readonly string[]): void {
    this.#serveStream(stream, rawHeaders, true);
  }

  #serveStream(stream: ServerHttp2Stream, rawHeaders: readonly string[], filterPath: boolean): void {
    serveHttp2Stream(stream, rawHeaders, {
      core: this.#core,
      filterPath,
      context: (http2Stream, socket) => ({ socket, httpRequest: undefined, http2Stream }),
      rejected: (status, reason) => this.#core.refused(status, reason),
    });
  }

  #attachHttp2(server: AnyHttp2Server): () => void {
    const detachStreams = attachStreamRoute(server, {
      matches: (pathname) => this.#core.matches(pathname),
      handleStream: (stream, rawHeaders) => this.#serveStream(stream, rawHeaders, false),
    });
    // allowHTTP1: HTTP/1.1 upgrades arrive as 'upgrade' events on the same server.
    const detachUpgrades = attachRoute(server as unknown as HttpServer, {
      matches: (pathname) => this.#core.matches(pathname),
      handleUpgrade: (request, socket, head) => this.handleUpgrade(request, socket, head),
      rejectUnmatched: (socket, status) => this.#refuseRaw(socket, status),
    });
    return () => {
      detachStreams();
      detachUpgrades();
    };
  }

  /**
   * Graceful shutdown: stop accepting (the standalone listener closes; an
   * attached server stops routing to us), send 1001 to every open
   * connection, wait up to `timeout` for their close handshakes, then destroy
   * what is left. Resolves when every connection is closed.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#core.close(options, {
      stop: () => {
        this.#detach?.();
        this.#detach = undefined;
        for (const transport of this.#plain) transport.destroy();
        this.#plain.clear();
        const listener = this.#listener;
        return listener === undefined ? undefined : new Promise<void>((resolve) => listener.close(() => resolve()));
      },
    });
  }

  #refuseRaw(socket: Duplex, status: number): void {
    socket.on('error', ignoreSocketError);
    socket.end(rejectUpgrade(status));
    // A client that never closes its side must not hold the socket.
    setTimeout(() => socket.destroy(), 2000).unref();
    this.#core.refused(status, 'no server for this path');
  }

  #serve(socket: Socket, httpRequest: IncomingMessage | undefined, parsedRequest?: { head: RequestHead; rest: Uint8Array }): void {
    socket.on('error', ignoreSocketError); // errors reach the session through the transport; never unhandled
    if (this.#core.closing) {
      socket.end(rejectUpgrade(503));
      return;
    }
    // Standalone, the path filter runs here; attached, the router already matched.
    const remote = socket.remoteAddress === undefined ? undefined : { address: socket.remoteAddress, port: socket.remotePort ?? 0 };
    this.#core.upgrade(new SocketTransport(socket), { socket, httpRequest }, { parsedRequest, filterPath: httpRequest === undefined, remote });
  }
}
