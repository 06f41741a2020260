import { EventEmitter } from 'node:events';
import { checkConnectionShape } from '@framewire/codec/whatwg';
import type { Socket, TCPSocketListener, TLSOptions } from 'bun';
import {
  RequestSniffer,
  ServerCore,
  chooseRoute,
  listenAddress,
  rejectUpgrade,
  answerPlainRequest,
  type AdapterAcceptHook,
  type FetchHandler as CodecFetchHandler,
  type FirstRequest,
  type ServerCoreUpgradeInit,
  type ListenAddress,
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
import { bunRuntime } from './bun-runtime.js';
import { bunScheduler } from './bun-scheduler.js';
import { BunSocketTransport, socketHandlers, type SocketData } from './socket-transport.js';

/**
 * A fetch-style handler for the requests on the server's port that are not
 * WebSocket upgrades: a `Request` in, a `Response` out, as with `Bun.serve`.
 * The connection closes after the response (no keep-alive).
 */
import { shaped, type ConnectionShape, type ShapedConnection } from './whatwg.js';
export type FetchHandler = CodecFetchHandler<FetchInfo>;

/** What a {@link FetchHandler} learns besides the request. */
export interface FetchInfo {
  /** The client's IP address. */
  readonly remoteAddress: string;
}

/** Where an upgrade came from, handed to the accept hook. */
export interface UpgradeContext {
  /** The Bun socket (`remoteAddress`, TLS details...). */
  readonly socket: Socket<SocketData>;
  /** Always `undefined` on Bun (there is no HTTP server in front); kept for the Node adapter's shape. */
  readonly httpRequest: undefined;
}

/**
 * Decides on an upgrade before anything is sent back (the codec's
 * `AdapterAcceptHook`): return `accept({ protocol?, headers? })` or
 * `reject(status, { headers?, body? })`, maybe async; a hook that throws
 * answers 500. It sees the parsed request and the Bun socket.
 */
export type AcceptHook<Data = unknown, Params = PathParams> = AdapterAcceptHook<UpgradeContext, Data, Params>;

/** The address a server listens on (the fields of Node's `AddressInfo`). */
export type AddressInfo = ListenAddress;

/** Options of {@link WebSocketServer}: the codec's shared server options plus where to listen. */
export interface ServerOptions<Data = unknown, Path extends string = string, S extends ConnectionShape = 'session'>
  extends ServerPolicyOptions<UpgradeContext, Data, Path> {
  /**
   * What 'connection' hands out: the `Session` (default), the WHATWG
   * `WebSocket` over it (`'websocket'`, already OPEN) or a `WebSocketStream`
   * (`'websocketstream'`), so browser-style code runs on the server.
   */
  shape?: S;
  /** The port to listen on (0 picks one); call {@link WebSocketServer.listen}. */
  port?: number;
  /** The address to bind. Default '127.0.0.1'. */
  host?: string;
  /** Serve wss:// with these TLS options (`cert`, `key`, `ca`...: strings, buffers or `Bun.file()`s). */
  tls?: TLSOptions;
  /**
   * Let several processes listen on the same port (Linux `SO_REUSEPORT`: the
   * kernel spreads new connections across them). Default false.
   */
  reusePort?: boolean;
  /**
   * Requests that are not WebSocket upgrades go here (a `Request` in, a
   * `Response` out, as with `Bun.serve`): a page and its WebSockets on one
   * port. The connection closes after the response. Without it, such requests
   * get 426 Upgrade Required.
   */
  fetch?: FetchHandler;
  /** Largest request body read for `fetch` (413 beyond). Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Other servers sharing this one's port, routed by path: an upgrade goes
   * to the first of them whose `path` takes it, else to this server (whose
   * own `path` applies: 404 when nothing takes it). Give them no `port`
   * and do not call their `listen()`.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each routed server types its own data and params
  routes?: ReadonlyArray<WebSocketServer<any, any>>;
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
export class WebSocketServer<Data = unknown, Path extends string = string, S extends ConnectionShape = 'session'> extends EventEmitter<
  ServerEvents<Data, RouteParams<Path>, S>
> {
  readonly #options: ServerOptions<Data, Path, ConnectionShape>;
  readonly #core: ServerCore<UpgradeContext>;
  #listener: TCPSocketListener<SocketData> | undefined;
  /** Connections being routed or answered as plain HTTP (not in the core's registry). */
  readonly #plain = new Set<BunSocketTransport>();
  #address: AddressInfo | undefined;

  /** @throws TypeError for a malformed `path` pattern. */
  constructor(options: ServerOptions<Data, Path, S> = {}) {
    super();
    this.#options = options;
    const shape = checkConnectionShape(options.shape);
    // Typed by the events map of S; the value is what `shape` (checked just above) makes.
    const emitConnection = this.emit.bind(this) as (event: 'connection', connection: unknown, request: unknown) => boolean;
    this.#core = new ServerCore(options, bunRuntime, {
      connection: (session, request) => emitConnection('connection', shape === 'session' ? session : shaped(session, shape), request),
      rejected: (status, reason) => this.emit('rejected', status, reason),
      close: () => this.emit('close'),
    });
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

  /** Whether this server's `path` takes `pathname` (every path without one). */
  matches(pathname: string): boolean {
    return this.#core.matches(pathname);
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

  /** The address, once listening. */
  address(): AddressInfo | undefined {
    return this.#address;
  }

  /** Listen on `port`/`host` (TCP, or TLS when `tls` is given). Resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    if (this.#listener !== undefined) return Promise.reject(new Error('already listening'));
    if (this.#core.closing) return Promise.reject(new Error('the server is closed'));
    const hostname = this.#options.host ?? '127.0.0.1';
    try {
      this.#listener = Bun.listen<SocketData>({
        hostname,
        port: this.#options.port ?? 0,
        // We half-close ourselves once our last bytes are out (see BunSocketTransport).
        allowHalfOpen: true,
        ...(this.#options.reusePort === true ? { reusePort: true } : {}),
        ...(this.#options.tls !== undefined ? { tls: this.#options.tls } : {}),
        socket: { ...socketHandlers, open: (socket) => this.#serve(socket) },
      });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const address = listenAddress(this.#listener.hostname, this.#listener.port);
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
    return this.#core.close(options, {
      stop: () => {
        this.#listener?.stop(false);
        for (const transport of this.#plain) transport.destroy();
        this.#plain.clear();
      },
      release: () => {
        this.#listener = undefined;
      },
    });
  }

  #serve(socket: Socket<SocketData>): void {
    const transport = new BunSocketTransport(socket);
    if (this.#core.closing) {
      transport.write([rejectUpgrade(503)]);
      transport.end();
      return;
    }
    this.#route(socket, transport);
  }

  /**
   * Read the first request head (once: the core gets it parsed): upgrades go
   * to the core, other requests to `fetch`, or 426 without one.
   */
  #route(socket: Socket<SocketData>, transport: BunSocketTransport): void {
    const options = this.#options;
    const timeout = this.#core.handshakeTimeout;
    const limits = options.maxHeaderBytes !== undefined ? { maxHeaderBytes: options.maxHeaderBytes } : {};
    this.#plain.add(transport);
    const upgrade = (first: Pick<ServerCoreUpgradeInit, 'initialBytes' | 'parsedRequest'>): void => {
      this.#plain.delete(transport);
      this.#upgrade(socket, transport, first);
    };
    const onFirst = async (first: FirstRequest): Promise<void> => {
      if (first.type === 'gone') return this.#drop(transport);
      if (first.type === 'upgrade') {
        const parsedRequest = { head: first.head, rest: first.rest };
        const route = options.routes === undefined ? undefined : chooseRoute(options.routes, first.head.target);
        if (route === undefined) return upgrade({ parsedRequest });
        this.#plain.delete(transport);
        return route.#upgrade(socket, transport, { parsedRequest, filterPath: false });
      }
      if (first.type === 'garbage') return upgrade({ initialBytes: first.bytes });
      await answerPlainRequest(
        transport,
        first,
        {
          handler: options.fetch,
          secure: options.tls !== undefined,
          info: { remoteAddress: socket.remoteAddress },
          fallbackHost: options.host ?? '127.0.0.1',
          maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
          scheduler: bunScheduler,
          timeoutMs: timeout,
        },
        (status) => this.#core.refused(status, 'not a WebSocket upgrade'),
        () => this.#drop(transport),
      );
    };
    // A failure while answering one plain request drops that connection only.
    const settle = (first: FirstRequest): void => void onFirst(first).catch(() => this.#drop(transport));
    transport.attach(new RequestSniffer(bunScheduler, limits, timeout, settle));
  }

  /** Hand a connection whose request head was read to this server's core (from its own listener or a router's). */
  #upgrade(socket: Socket<SocketData>, transport: BunSocketTransport, first: ServerCoreUpgradeInit): void {
    if (this.#core.closing) {
      transport.write([rejectUpgrade(503)]);
      transport.end();
      return;
    }
    const remote = { address: socket.remoteAddress, port: remotePort(socket) };
    this.#core.upgrade(transport, { socket, httpRequest: undefined }, { ...first, remote });
  }

  #drop(transport: BunSocketTransport): void {
    this.#plain.delete(transport);
    transport.destroy();
  }
}

/** The peer's port: Bun's socket has no `remotePort` before 1.2; 0 when the runtime does not say. */
function remotePort(socket: Socket<SocketData>): number {
  const port = (socket as { remotePort?: unknown }).remotePort;
  return typeof port === 'number' ? port : 0;
}
