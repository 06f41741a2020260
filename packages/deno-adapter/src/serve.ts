import { EventEmitter } from 'node:events';
import { checkConnectionShape } from '@framewire/codec/whatwg';
import {
  DEFAULT_SERVER_HEARTBEAT,
  SERVE_DEFAULTS,
  ServeUpgraderCore,
  headerEntries,
  heartbeatSilence,
  isWebSocketUpgrade,
  serveSocketSettings,
  type AdapterAcceptHook,
  type PathParams,
  type RouteParams,
  type Scheduler,
  type ServePeer,
  type ServeRefusal,
  type ServeUpgraderSharedOptions,
  type ServerMetrics,
  type ServerRequest,
} from '@framewire/codec/adapter';
import type { CloseOptions } from './server.js';
import { ServeSocket } from './serve-socket.js';

/** Where a `Deno.serve` upgrade came from, handed to the accept hook. */
import type { Session } from '@framewire/codec/adapter';
import { shaped, type ConnectionShape, type WebSocket as WhatwgSocket, type WebSocketStream } from './whatwg.js';
export interface ServeUpgradeContext {
  /** The `Request` Deno.serve handed to your handler. */
  readonly request: Request;
  /** The handler's second argument (remote address...), when you pass it to `upgrade`. */
  readonly info: unknown;
}

/** The accept hook of the `Deno.serve` path: the same decisions as the raw-TCP server's. */
export type ServeAcceptHook<Data = unknown, Params = PathParams> = AdapterAcceptHook<ServeUpgradeContext, Data, Params>;

/** Options of {@link ServeUpgrader}: the subset of the server's options this path can honour. */
export interface ServeUpgraderOptions<Data = unknown, Path extends string = string, S extends ConnectionShape = 'session'> extends ServeUpgraderSharedOptions<Path> {
  /**
   * What 'connection' hands out: the {@link ServeSocket} (`'session'`,
   * default), the WHATWG `WebSocket` over it (`'websocket'`, already OPEN) or
   * a `WebSocketStream` (`'websocketstream'`; on this path Deno reads every
   * message, so not reading does not pause the peer).
   */
  shape?: S;
  /**
   * Decide per request (origin, auth, path) before the upgrade; what it
   * passes as `accept({ data })` becomes `socket.data`. `request.remoteAddress`
   * is set when you pass the handler's `info` to `upgrade`.
   */
  accept?: ServeAcceptHook<Data, RouteParams<Path>>;
  /**
   * Largest message in bytes: a larger one closes the connection with 1009.
   * Checked after Deno received the whole message, and Deno itself drops a
   * connection whose frame exceeds 64 MiB without a close frame. Default 16 MiB.
   */
  maxPayload?: number;
  /** `send()` returns `false` once Deno's `bufferedAmount` reaches this. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Outgoing bytes a peer that does not read may hold up (Deno's
   * `bufferedAmount`); past it the connection is closed with 1008. Default
   * 16 MiB, as on the raw-TCP server.
   */
  maxBufferedAmount?: number;
  /**
   * Ms for the part of the handshake framewire sees: the accept hook must
   * decide within it (503 otherwise) and Deno must open the socket within it
   * after the 101 (reported as 1006 otherwise). Deno.serve reads the request
   * head before calling your handler and has no deadline for that: see the
   * README. Default 10000.
   */
  handshakeTimeout?: number;
  /** Ms to wait for the close handshake after our close frame before reporting 1006. Default 5000. */
  closeTimeout?: number;
  /**
   * Ping idle peers and drop dead ones (a pulled cable sends no FIN). On by
   * default: `{ interval: 30000, timeout: 60000 }`; `false` turns it off.
   * Mapped onto Deno's `idleTimeout` (the only heartbeat Deno.serve sockets
   * have): `idleTimeout = (interval + timeout) / 1000` seconds, so Deno pings
   * after half of that silence and drops the peer (1006 here, Deno sends
   * 1001) when the whole of it passed without a frame from the peer.
   */
  heartbeat?: { interval: number; timeout: number } | false;
  /**
   * @deprecated Use `heartbeat`. Deno's own `idleTimeout` in seconds, passed
   * as is and taking precedence over `heartbeat`; 0 turns it off.
   */
  idleTimeout?: number;
}

/** Events of a {@link ServeUpgrader}, as those of `WebSocketServer`. */
export interface ServeUpgraderEvents<Data = unknown, Params = PathParams, S extends ConnectionShape = 'session'> {
  connection: [socket: ServeShaped<S, Data>, request: ServerRequest<Params>];
  rejected: [status: number, reason: string];
  close: [];
}

/** What a {@link ServeUpgrader}'s 'connection' hands out for `S` (give `shape` as a literal). */
export type ServeShaped<S extends ConnectionShape, Data = unknown> = [S] extends ['websocket'] ? WhatwgSocket : [S] extends ['websocketstream'] ? WebSocketStream : ServeSocket<Data>;

/** Plain (ref'd) timers for the accept-hook and close deadlines: a pending `close()` keeps the process alive. */
const serveScheduler: Scheduler = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as number),
};

/**
 * Deno's `idleTimeout` (seconds) for a framewire heartbeat: Deno pings after
 * `idleTimeout / 2` of silence and drops the peer after `idleTimeout`
 * without a frame from it, so the peer gets `interval + timeout` ms of
 * silence in all, as on the raw-TCP server. 0 turns Deno's heartbeat off.
 */
export function denoIdleTimeout(heartbeat: { interval: number; timeout: number } | false): number {
  return heartbeatSilence(heartbeat) / 1000;
}

/**
 * framewire's handshake policy for `Deno.serve` handlers: the codec checks
 * the request (RFC 6455 §4.2.1), your accept hook decides (origin, auth,
 * path, 401/403 with headers), the subprotocol is chosen by server policy,
 * and `Deno.upgradeWebSocket` is wrapped in the `Session` API
 * ({@link ServeSocket}). Deno frames the bytes on this path: see the README
 * for what holds here and what needs the raw-TCP `WebSocketServer`.
 *
 * @example
 * ```ts
 * const ws = new ServeUpgrader({ accept: allowOrigins(['https://app.example']), protocols: ['chat'] });
 * ws.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
 * Deno.serve((request, info) => (isWebSocketRequest(request) ? ws.upgrade(request, info) : new Response('hello')));
 * ```
 */
export class ServeUpgrader<Data = unknown, Path extends string = string, S extends ConnectionShape = 'session'> extends EventEmitter<
  ServeUpgraderEvents<Data, RouteParams<Path>, S>
> {
  readonly #options: ServeUpgraderOptions<Data, Path, ConnectionShape>;
  readonly #shape: ConnectionShape;
  readonly #core: ServeUpgraderCore<ServeSocket<Data>, ServeUpgradeContext, RouteParams<Path>>;

  /** @throws TypeError for a malformed `path` pattern. */
  constructor(options: ServeUpgraderOptions<Data, Path, S> = {}) {
    super();
    this.#options = options;
    this.#shape = checkConnectionShape(options.shape);
    this.#core = new ServeUpgraderCore(options, serveScheduler, {
      rejected: (status, reason) => this.emit('rejected', status, reason),
      close: () => this.emit('close'),
    });
  }

  /** Whether this upgrader's `path` takes `pathname` (every path without one). */
  matches(pathname: string): boolean {
    return this.#core.matches(pathname);
  }

  /** Open connections (a live, read-only set). */
  get clients(): ReadonlySet<ServeSocket<Data>> {
    return this.#core.clients;
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.#core.clients.size;
  }

  /**
   * The upgrader's counters, as `WebSocketServer.metrics()`: connections,
   * refused upgrades by status and reason, messages, close codes. Bytes are
   * message payload bytes (Deno frames the wire and does not say how many
   * bytes it read); `deflate` stays 0 (what Deno's own compression does, if
   * anything, is not visible here). Format with `formatPrometheus()`.
   */
  metrics(): ServerMetrics {
    return this.#core.metrics();
  }

  /**
   * Answer a `Deno.serve` request: the 101 response of an accepted upgrade
   * (the socket is handed to 'connection' listeners), or the refusal
   * (400/405/426 from the codec's checks, 404 for another path, 503 when
   * full or closing, your hook's status, 500 when the hook threw).
   */
  async upgrade(request: Request, info?: unknown): Promise<Response> {
    const started = Date.now();
    const handshakeTimeout = this.#options.handshakeTimeout ?? SERVE_DEFAULTS.handshakeTimeout;
    // The codec re-reads the head as it came in (Deno keeps header values, joins repeats with commas). Deno fills
    // `request.url` with `localhost` when the client sent no Host, so the headers alone say whether it did. The HTTP
    // version is lost (Deno's `Request` does not carry it): read as HTTP/1.1, see the README.
    const url = new URL(request.url);
    const head = { method: request.method, target: `${url.pathname}${url.search}`, headers: request.headers };
    const verdict = await this.#core.decide(head, { request, info }, () => remoteOf(info));
    if (verdict.type === 'refuse') return responseOf(verdict.refusal);
    const { request: upgradeRequest, decision } = verdict;
    if (this.#core.closing) return this.#refuse(503, 'server closing');
    const protocol = decision.protocol ?? this.#core.chooseProtocol(upgradeRequest);
    const idleTimeout = this.#options.idleTimeout ?? denoIdleTimeout(this.#options.heartbeat ?? DEFAULT_SERVER_HEARTBEAT);
    let upgraded: { socket: WebSocket; response: Response };
    try {
      upgraded = Deno.upgradeWebSocket(request, { ...(protocol !== undefined ? { protocol } : {}), idleTimeout });
    } catch {
      // The codec accepted the request, so Deno's own checks should too; never throw out of a handler.
      return this.#refuse(400, 'Deno refused the upgrade');
    }
    const { socket, response } = upgraded;
    for (const [name, value] of headerEntries(decision.headers)) response.headers.append(name, value);
    const wrapped = new ServeSocket<Data>(socket, {
      protocol: protocol ?? '',
      maxPayload: this.#options.maxPayload ?? SERVE_DEFAULTS.maxPayload,
      openTimeout: Math.max(0, handshakeTimeout - (Date.now() - started)),
      ...serveSocketSettings(this.#options),
    });
    if (decision.data !== undefined) wrapped.data = decision.data as Data;
    this.#core.register(wrapped);
    // Listeners attach before the first message: Deno opens the socket after the 101 is sent.
    // A socket closed during its upgrade (shutdown, open deadline) is never announced.
    socket.addEventListener('open', () => wrapped.readyState === 1 && this.#emitConnection(wrapped, upgradeRequest), { once: true });
    return response;
  }

  /** 'connection' with the socket in the shape asked for (a ServeSocket has the Session's API). */
  #emitConnection(socket: ServeSocket<Data>, request: ServerRequest<RouteParams<Path>>): void {
    const connection = this.#shape === 'session' ? socket : shaped(socket as unknown as Session, this.#shape);
    (this.emit as (event: 'connection', connection: unknown, request: unknown) => boolean).call(this, 'connection', connection, request);
  }

  /**
   * Graceful shutdown: refuse new upgrades (503), send 1001 to every
   * connection (those still upgrading get it as soon as Deno opens them),
   * wait up to `timeout` for their close handshakes, then give up on the rest
   * (reported as 1006). A reason over 123 UTF-8 bytes is cut on a character
   * boundary. Stopping `Deno.serve` is yours, after this resolves.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#core.close(options);
  }

  #refuse(status: number, reason: string): Response {
    return responseOf(this.#core.refuse(status, reason));
  }
}

/** The peer from a `Deno.serve` handler's `info` (`remoteAddr: { hostname, port }`), when given. */
function remoteOf(info: unknown): ServePeer {
  const addr = (info as { remoteAddr?: { hostname?: unknown; port?: unknown } } | undefined)?.remoteAddr;
  return {
    remoteAddress: typeof addr?.hostname === 'string' ? addr.hostname : undefined,
    remotePort: typeof addr?.port === 'number' ? addr.port : undefined,
  };
}

/** Does `request` ask for a WebSocket upgrade (`Upgrade: websocket`)? Route it to {@link ServeUpgrader.upgrade}. */
export function isWebSocketRequest(request: Request): boolean {
  return isWebSocketUpgrade(request.headers.get('upgrade'));
}

/** A refusal from the codec as the `Response` Deno.serve sends (Deno.serve frames the body and manages the connection itself). */
function responseOf(refusal: ServeRefusal): Response {
  const headers = new Headers();
  for (const [name, value] of refusal.headers) headers.append(name, value);
  return new Response(refusal.body as BodyInit, { status: refusal.status, statusText: refusal.statusText, headers });
}
