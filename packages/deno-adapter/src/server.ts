import { EventEmitter } from 'node:events';
import { checkConnectionShape } from '@framewire/codec/whatwg';
import {
  RequestSniffer,
  ServerCore,
  chooseRoute,
  listenAddress,
  rejectUpgrade,
  serveHttp,
  type AdapterAcceptHook,
  type FetchHandler as CodecFetchHandler,
  type FirstRequest,
  type ListenAddress,
  type PublishData,
  type PublishOptions,
  type ServerCloseOptions,
  type ServerCoreUpgradeInit,
  type ServerEventMap,
  type PathParams,
  type RouteParams,
  type ServerMetrics,
  type ServerPolicyOptions,
  type ServerRequest,
  type Session,
} from '@framewire/codec/adapter';
import { ConnTransport, trackTransport } from './conn-transport.js';
import { denoRuntime, type ConnectionLimits } from './deno-runtime.js';
import { denoScheduler } from './deno-scheduler.js';

/**
 * A fetch-style handler for the requests on the server's port that are not
 * WebSocket upgrades: a `Request` in, a `Response` out, as with `Deno.serve`.
 * The connection closes after the response (no keep-alive).
 */
import { shaped, type ConnectionShape, type ShapedConnection } from './whatwg.js';
export type FetchHandler = CodecFetchHandler<FetchInfo>;

/** What a {@link FetchHandler} learns besides the request. */
export interface FetchInfo {
  /** The client's address. */
  readonly remoteAddr: Deno.NetAddr;
}

/** Where an upgrade came from, handed to the accept hook. */
export interface UpgradeContext {
  /** The Deno connection (TCP or TLS). */
  readonly conn: Deno.Conn;
  /** The client's address. */
  readonly remoteAddr: Deno.NetAddr;
}

/**
 * Decides on an upgrade before anything is sent back (the codec's
 * `AdapterAcceptHook`): return `accept({ protocol?, headers? })` or
 * `reject(status, { headers?, body? })`, maybe async; a hook that throws
 * answers 500. It sees the parsed request and the Deno connection.
 */
export type AcceptHook<Data = unknown, Params = PathParams> = AdapterAcceptHook<UpgradeContext, Data, Params>;

/** The address a server listens on (the fields of Node's `AddressInfo`). */
export type AddressInfo = ListenAddress;

/** TLS material for wss://, PEM text as `Deno.listenTls` takes it. */
export interface ServerTlsOptions {
  /** Certificate chain, PEM. */
  cert: string;
  /** Private key, PEM. */
  key: string;
}

/** Options of {@link WebSocketServer}: the codec's shared server options plus where to listen and the plain-HTTP handler. */
export interface ServerOptions<Data = unknown, Path extends string = string, S extends ConnectionShape = 'session'>
  extends ServerPolicyOptions<UpgradeContext, Data, Path>,
    Pick<ConnectionLimits, 'io'> {
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
  /** Serve wss:// (`Deno.listenTls`) with this certificate and key. */
  tls?: ServerTlsOptions;
  /**
   * Let several processes listen on the same port (Linux `SO_REUSEPORT`: the
   * kernel spreads new connections across them). Plain TCP only. Deno 2.9
   * takes it only under `--unstable-net`: without that flag Deno itself ends
   * the process at `listen()` ("Unstable API"). Default false.
   */
  reusePort?: boolean;
  /**
   * Requests that are not WebSocket upgrades go here (a `Request` in, a
   * `Response` out, as with `Deno.serve`); the connection closes after the
   * response. Without it they get 426 Upgrade Required.
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

/** Errors that end one connection (the peer's doing), not the listener. */
function peerGone(error: unknown): boolean {
  const errors = Deno.errors;
  return (
    error instanceof errors.NotConnected ||
    error instanceof errors.ConnectionReset ||
    error instanceof errors.ConnectionAborted ||
    error instanceof errors.BrokenPipe
  );
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
export class WebSocketServer<Data = unknown, Path extends string = string, S extends ConnectionShape = 'session'> extends EventEmitter<
  ServerEvents<Data, RouteParams<Path>, S>
> {
  readonly #options: ServerOptions<Data, Path, ConnectionShape>;
  readonly #core: ServerCore<UpgradeContext>;
  /** Every conn not yet released, so close() can wait for (or drop) them all. */
  readonly #transports = new Set<ConnTransport>();
  /** One function for every conn (no closure per connection): drop a released conn from {@link #transports}. */
  readonly #forget = (transport: ConnTransport): void => {
    this.#transports.delete(transport);
  };
  /** Conns whose first request is still being read. */
  readonly #sniffing = new Set<ConnTransport>();
  #listener: Deno.Listener<Deno.Conn, Deno.NetAddr> | undefined;
  #acceptLoop: Promise<void> | undefined;
  #address: AddressInfo | undefined;

  /** @throws TypeError for a malformed `path` pattern. */
  constructor(options: ServerOptions<Data, Path, S> = {}) {
    super();
    this.#options = options;
    const shape = checkConnectionShape(options.shape);
    // Typed by the events map of S; the value is what `shape` (checked just above) makes.
    const emitConnection = this.emit.bind(this) as (event: 'connection', connection: unknown, request: unknown) => boolean;
    this.#core = new ServerCore(options, denoRuntime, {
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
    const port = this.#options.port ?? 0;
    const tls = this.#options.tls;
    try {
      this.#listener =
        tls !== undefined
          ? Deno.listenTls({ hostname, port, cert: tls.cert, key: tls.key, alpnProtocols: ['http/1.1'] })
          : Deno.listen({ hostname, port, ...(this.#options.reusePort === true ? { reusePort: true } : {}) });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const addr = this.#listener.addr;
    const address = listenAddress(addr.hostname, addr.port);
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
    return this.#core.close(options, {
      stop: () => {
        try {
          this.#listener?.close();
        } catch {
          // already closed
        }
        // Connections that have not sent a request yet are dropped.
        for (const transport of this.#sniffing) transport.destroy();
      },
      release: async () => {
        await this.#acceptLoop;
        const deadline = setTimeout(() => {
          for (const transport of this.#transports) transport.destroy();
        }, options.timeout ?? 5000);
        await Promise.all([...this.#transports].map((t) => t.released));
        clearTimeout(deadline);
        this.#listener = undefined;
      },
    });
  }

  /**
   * The accept loop never dies of one connection: a connection the peer
   * reset before we took it is skipped at once; other accept errors (out of
   * file descriptors) are retried after a backoff of 5 ms doubling to 1 s.
   * TLS handshake failures surface later, on that connection's transport.
   * Only closing the listener ends the loop.
   */
  async #accept(listener: Deno.Listener<Deno.Conn, Deno.NetAddr>): Promise<void> {
    let backoff = 0;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#core.closing || error instanceof Deno.errors.BadResource) return;
        // The peer reset a connection we were taking (Deno reads its address
        // as part of accept): that connection is gone, take the next one.
        if (peerGone(error)) continue;
        // EMFILE and friends repeat until something is freed: back off (5 ms doubling to 1 s).
        backoff = Math.min(backoff === 0 ? 5 : backoff * 2, 1000);
        if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
        await new Promise<void>((resolve) => setTimeout(resolve, backoff));
        continue;
      }
      backoff = 0;
      try {
        this.#serve(conn);
      } catch {
        // The conn failed as we set it up (reset already): it alone is dropped.
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
    }
  }

  #serve(conn: Deno.Conn): void {
    const transport = new ConnTransport(conn, this.#options.io);
    this.#transports.add(transport);
    transport.onReleased(this.#forget);
    if (this.#core.closing) {
      transport.write([rejectUpgrade(503)]);
      transport.end();
      this.#linger(transport);
      return;
    }
    const options = this.#options;
    const timeout = this.#core.handshakeTimeout;
    const limits = options.maxHeaderBytes !== undefined ? { maxHeaderBytes: options.maxHeaderBytes } : {};
    this.#sniffing.add(transport);
    const onFirst = async (first: FirstRequest): Promise<void> => {
      this.#sniffing.delete(transport);
      if (first.type === 'gone') {
        transport.destroy();
        return;
      }
      if (first.type === 'upgrade') {
        const parsedRequest = { head: first.head, rest: first.rest };
        const routes = options.routes;
        const route = routes === undefined ? undefined : chooseRoute(routes, first.head.target);
        if (route === undefined) this.#upgrade(transport, { parsedRequest });
        else route.#upgrade(transport, { parsedRequest, filterPath: false });
        return;
      }
      if (first.type === 'garbage') {
        this.#upgrade(transport, { initialBytes: first.bytes });
        return;
      }
      transport.pause();
      const remoteAddr = conn.remoteAddr as Deno.NetAddr;
      const status = await serveHttp(transport, first.head, first.rest, {
        handler: options.fetch,
        secure: options.tls !== undefined,
        info: { remoteAddr },
        fallbackHost: (conn.localAddr as Deno.NetAddr).hostname,
        maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
        scheduler: denoScheduler,
        timeoutMs: timeout,
      });
      if (status === 426) this.#core.refused(426, 'not a WebSocket upgrade');
      // Keep reading (and discarding) until the client closes its side.
      transport.attach({ receive: () => {}, receiveEof: () => transport.destroy(), drain: () => {} });
      transport.resume();
      this.#linger(transport);
    };
    // A failure while answering one plain request drops that connection only.
    const settle = (first: FirstRequest): void => void onFirst(first).catch(() => transport.destroy());
    transport.attach(new RequestSniffer(denoScheduler, limits, timeout, settle));
  }

  /** `first`: the sniffed request head (validated, not parsed again), or the bytes of one that did not parse. */
  #upgrade(transport: ConnTransport, first: Pick<ServerCoreUpgradeInit, 'initialBytes' | 'parsedRequest' | 'filterPath'>): void {
    const conn = transport.conn;
    if (this.#core.closing) {
      transport.write([rejectUpgrade(503)]);
      transport.end();
      this.#linger(transport);
      return;
    }
    const remoteAddr = conn.remoteAddr as Deno.NetAddr;
    this.#core.upgrade(
      transport,
      { conn, remoteAddr },
      {
        ...first,
        remote: { address: remoteAddr.hostname, port: remoteAddr.port },
        onResult: (result) => {
          if (result.type === 'accepted') trackTransport(result.session, transport);
          else if (result.type === 'rejected') this.#linger(transport);
          else transport.destroy();
        },
      },
    );
  }

  /** Drop a conn whose client does not close it soon after our last response. */
  #linger(transport: ConnTransport): void {
    const timer = denoScheduler.setTimer(() => transport.destroy(), HTTP_LINGER_MS);
    void transport.released.then(() => denoScheduler.clearTimer(timer));
  }
}
