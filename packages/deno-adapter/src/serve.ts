import { EventEmitter } from 'node:events';
import { checkConnectionShape } from '@framewire/codec/whatwg';
import {
  HeadParser,
  RouteTable,
  ServerCounters,
  ServerHandshake,
  headerEntries,
  rejectUpgrade,
  selectSubprotocol,
  type AcceptDecision,
  type AdapterAcceptHook,
  type PathParams,
  type ResponseHead,
  type RouteParams,
  type ServerMetrics,
  type ServerRequest,
  type UpgradeRequest,
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
export interface ServeUpgraderOptions<Data = unknown, Path extends string = string, S extends ConnectionShape = 'session'> {
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
  /** Subprotocols we speak in our preference order, or a function choosing among the offers. */
  protocols?: readonly string[] | ((offered: readonly string[], request: UpgradeRequest) => string | undefined);
  /**
   * Paths taken, query ignored: exact, `/rooms/:id` (in `request.params`) or
   * a final `*`; other paths get 404. Default: every path.
   */
  path?: Path | readonly Path[];
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
  /** Most connections at once; more get 503 before the upgrade. Default: no limit. */
  maxConnections?: number;
  /** Binary messages as `Uint8Array` (default) or `ArrayBuffer`. */
  binaryType?: 'uint8array' | 'arraybuffer';
  /** Largest request head re-checked by the codec (431 beyond). Codec default. */
  maxHeaderBytes?: number;
  /** Where listener exceptions go. Default: an unhandled rejection. */
  onListenerError?: (error: unknown, event: string) => void;
}

/** Events of a {@link ServeUpgrader}, as those of `WebSocketServer`. */
export interface ServeUpgraderEvents<Data = unknown, Params = PathParams, S extends ConnectionShape = 'session'> {
  connection: [socket: ServeShaped<S, Data>, request: ServerRequest<Params>];
  rejected: [status: number, reason: string];
  close: [];
}

/** What a {@link ServeUpgrader}'s 'connection' hands out for `S` (give `shape` as a literal). */
export type ServeShaped<S extends ConnectionShape, Data = unknown> = [S] extends ['websocket'] ? WhatwgSocket : [S] extends ['websocketstream'] ? WebSocketStream : ServeSocket<Data>;

const MiB = 1024 * 1024;
/** The servers' default heartbeat (ping at 30 s of silence, dead after 2 missed pongs). */
const DEFAULT_HEARTBEAT = { interval: 30_000, timeout: 60_000 } as const;

/**
 * Deno's `idleTimeout` (seconds) for a framewire heartbeat: Deno pings after
 * `idleTimeout / 2` of silence and drops the peer after `idleTimeout`
 * without a frame from it, so the peer gets `interval + timeout` ms of
 * silence in all, as on the raw-TCP server. 0 turns Deno's heartbeat off.
 */
export function denoIdleTimeout(heartbeat: { interval: number; timeout: number } | false): number {
  if (heartbeat === false || heartbeat.interval <= 0) return 0;
  return (heartbeat.interval + Math.max(0, heartbeat.timeout)) / 1000;
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
  readonly #routes: RouteTable | undefined;
  readonly #clients = new Set<ServeSocket<Data>>();
  readonly #counters = new ServerCounters();
  #pending = 0;
  #closing: Promise<void> | undefined;

  /** @throws TypeError for a malformed `path` pattern. */
  constructor(options: ServeUpgraderOptions<Data, Path, S> = {}) {
    super();
    this.#options = options;
    this.#shape = checkConnectionShape(options.shape);
    const path = options.path;
    this.#routes = path === undefined ? undefined : new RouteTable(path);
  }

  /** Whether this upgrader's `path` takes `pathname` (every path without one). */
  matches(pathname: string): boolean {
    return this.#routes === undefined || this.#routes.match(pathname) !== undefined;
  }

  /** Open connections (a live, read-only set). */
  get clients(): ReadonlySet<ServeSocket<Data>> {
    return this.#clients;
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.#clients.size;
  }

  /**
   * The upgrader's counters, as `WebSocketServer.metrics()`: connections,
   * refused upgrades by status and reason, messages, close codes. Bytes are
   * message payload bytes (Deno frames the wire and does not say how many
   * bytes it read); `deflate` stays 0 (what Deno's own compression does, if
   * anything, is not visible here). Format with `formatPrometheus()`.
   */
  metrics(): ServerMetrics {
    return this.#counters.snapshot(this.#clients, this.#pending);
  }

  /**
   * Answer a `Deno.serve` request: the 101 response of an accepted upgrade
   * (the socket is handed to 'connection' listeners), or the refusal
   * (400/405/426 from the codec's checks, 404 for another path, 503 when
   * full or closing, your hook's status, 500 when the hook threw).
   */
  async upgrade(request: Request, info?: unknown): Promise<Response> {
    const started = Date.now();
    const handshakeTimeout = this.#options.handshakeTimeout ?? 10_000;
    if (this.#closing !== undefined) return this.#refuse(503, 'server closing', { 'Retry-After': '5' });
    const checked = checkRequest(request, this.#options.maxHeaderBytes);
    if (checked.type === 'reject') {
      this.#counters.refused(checked.status, checked.reason);
      this.emit('rejected', checked.status, checked.reason);
      return checked.response;
    }
    const params = this.#routes === undefined ? NO_PARAMS : this.#routes.match(checked.request.path);
    if (params === undefined) return this.#refuse(404, 'no server for this path');
    const upgradeRequest = Object.freeze({ ...checked.request, params, ...remoteOf(info) }) as ServerRequest<RouteParams<Path>>;
    const max = this.#options.maxConnections ?? Number.POSITIVE_INFINITY;
    if (this.#clients.size + this.#pending >= max) return this.#refuse(503, 'server full', { 'Retry-After': '5' });
    this.#pending++;
    let decision: AcceptDecision<Data> | undefined;
    try {
      const hook = this.#options.accept;
      decision = hook === undefined ? { type: 'accept' } : await withDeadline(hook(upgradeRequest, { request, info }), handshakeTimeout);
    } catch {
      this.#pending--;
      return this.#refuse(500, 'the accept hook failed');
    }
    this.#pending--;
    if (decision === undefined) return this.#refuse(503, 'the accept hook did not decide within handshakeTimeout', { 'Retry-After': '5' });
    if (decision.type === 'reject') {
      this.#counters.refused(decision.status, 'refused by the accept hook');
      this.emit('rejected', decision.status, 'refused by the accept hook');
      return responseFromBytes(rejectUpgrade(decision.status, { headers: decision.headers, body: decision.body }));
    }
    if (this.#closing !== undefined) return this.#refuse(503, 'server closing');
    const protocol = decision.protocol ?? this.#chooseProtocol(upgradeRequest);
    const idleTimeout = this.#options.idleTimeout ?? denoIdleTimeout(this.#options.heartbeat ?? DEFAULT_HEARTBEAT);
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
      maxPayload: this.#options.maxPayload ?? 16 * MiB,
      highWaterMark: this.#options.highWaterMark ?? 1 * MiB,
      maxBufferedAmount: this.#options.maxBufferedAmount ?? 16 * MiB,
      openTimeout: Math.max(0, handshakeTimeout - (Date.now() - started)),
      closeTimeout: this.#options.closeTimeout ?? 5000,
      binaryType: this.#options.binaryType ?? 'uint8array',
      onListenerError: this.#options.onListenerError,
    });
    if (decision.data !== undefined) wrapped.data = decision.data;
    this.#clients.add(wrapped);
    this.#counters.accepted();
    void wrapped.closed.then(() => {
      this.#clients.delete(wrapped);
      this.#counters.closed(wrapped);
    });
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
    this.#closing ??= (async () => {
      for (const client of this.#clients) client.goingAway(options.reason ?? 'server shutting down');
      let timer: number | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeout ?? 5000) as unknown as number));
      await Promise.race([Promise.all([...this.#clients].map((c) => c.closed)), deadline]);
      clearTimeout(timer);
      for (const client of this.#clients) client.terminate();
      this.emit('close');
    })();
    return this.#closing;
  }

  #chooseProtocol(request: UpgradeRequest): string | undefined {
    const protocols = this.#options.protocols;
    if (protocols === undefined || request.protocols.length === 0) return undefined;
    if (typeof protocols === 'function') return protocols(request.protocols, request);
    return selectSubprotocol(request.protocols, protocols);
  }

  #refuse(status: number, reason: string, headers?: Record<string, string>): Response {
    this.#counters.refused(status, reason);
    this.emit('rejected', status, reason);
    return responseFromBytes(rejectUpgrade(status, headers !== undefined ? { headers } : {}));
  }
}

const NO_PARAMS: PathParams = Object.freeze({});

/** The peer from a `Deno.serve` handler's `info` (`remoteAddr: { hostname, port }`), when given. */
function remoteOf(info: unknown): { remoteAddress: string | undefined; remotePort: number | undefined } {
  const addr = (info as { remoteAddr?: { hostname?: unknown; port?: unknown } } | undefined)?.remoteAddr;
  return {
    remoteAddress: typeof addr?.hostname === 'string' ? addr.hostname : undefined,
    remotePort: typeof addr?.port === 'number' ? addr.port : undefined,
  };
}

/** Does `request` ask for a WebSocket upgrade (`Upgrade: websocket`)? Route it to {@link ServeUpgrader.upgrade}. */
export function isWebSocketRequest(request: Request): boolean {
  const upgrade = request.headers.get('upgrade');
  return upgrade !== null && upgrade.split(',').some((token) => token.trim().toLowerCase() === 'websocket');
}

type Checked = { type: 'request'; request: UpgradeRequest } | { type: 'reject'; status: number; reason: string; response: Response };

/**
 * Run the codec's request checks on a `Request`: it is re-encoded as the
 * head it came in as (Deno keeps header values, joins repeats with commas)
 * and read by the codec's `ServerHandshake`, so both server paths apply the
 * same rules. Deno fills `request.url` with `localhost` when the client sent
 * no Host, so the headers alone say whether it did. The HTTP version is the
 * one thing lost: Deno's `Request` does not carry it, so the head is written
 * as HTTP/1.1 (see the README: HTTP/1.0 upgrades are not refused here).
 */
function checkRequest(request: Request, maxHeaderBytes: number | undefined): Checked {
  const url = new URL(request.url);
  let head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  for (const [name, value] of request.headers) head += `${name}: ${value}\r\n`;
  head += '\r\n';
  const handshake = new ServerHandshake(maxHeaderBytes !== undefined ? { maxHeaderBytes } : {});
  const result = handshake.receive(latin1(head));
  if (result.type === 'request') return { type: 'request', request: result.request };
  if (result.type === 'reject') return { type: 'reject', status: result.status, reason: result.reason, response: responseFromBytes(result.response) };
  return { type: 'reject', status: 400, reason: 'incomplete request', response: responseFromBytes(rejectUpgrade(400)) };
}

/** The codec's refusal bytes as a `Response` (status, headers, body), so its statuses and headers reach Deno.serve's client as written. */
function responseFromBytes(bytes: Uint8Array): Response {
  const parsed = new HeadParser<ResponseHead>('response').push(bytes);
  if (parsed.type !== 'head') return new Response('Internal Server Error', { status: 500 });
  const headers = new Headers();
  for (const [name, value] of parsed.head.headers) {
    // Deno.serve frames the body and manages the connection itself.
    const lower = name.toLowerCase();
    if (lower !== 'content-length' && lower !== 'connection') headers.append(name, value);
  }
  return new Response(parsed.rest.slice() as BodyInit, { status: parsed.head.status, statusText: parsed.head.statusText, headers });
}

/** `promise`'s value, or `undefined` when it did not settle within `ms`. */
async function withDeadline<T>(promise: T | Promise<T>, ms: number): Promise<T | undefined> {
  if (!(promise instanceof Promise)) return promise;
  let timer: number | undefined;
  const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms) as unknown as number));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

