import { EventEmitter } from 'node:events';
import type { Server, ServerWebSocket, WebSocketHandler } from 'bun';
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
  type ServeRefusal,
  type ServeUpgraderSharedOptions,
  type ServerMetrics,
  type ServerRequest,
} from '@framewire/codec/adapter';
import type { CloseOptions } from './server.js';
import { BunServeSocket, checkTopic, type BunServeSlot } from './serve-socket.js';

/** Where a `Bun.serve` upgrade came from, handed to the accept hook. */
export interface BunServeUpgradeContext {
  /** The `Request` Bun.serve handed to your `fetch`. */
  readonly request: Request;
  /** The `server` Bun.serve handed to your `fetch`. */
  readonly server: Server<BunServeSlot>;
}

/** The accept hook of the `Bun.serve` path: the same decisions as the raw-TCP server's. */
export type BunServeAcceptHook<Data = unknown, Params = PathParams> = AdapterAcceptHook<BunServeUpgradeContext, Data, Params>;

/** Options of {@link BunServeUpgrader}: the subset of the server's options this path can honour. */
export interface BunServeUpgraderOptions<Data = unknown, Path extends string = string> extends ServeUpgraderSharedOptions<Path> {
  /**
   * Decide per request (origin, auth, path) before the upgrade; async
   * allowed. What it passes as `accept({ data })` becomes `socket.data`;
   * `request.remoteAddress` comes from `server.requestIP(request)`.
   */
  accept?: BunServeAcceptHook<Data, RouteParams<Path>>;
  /**
   * Largest message in bytes, after inflation: Bun's `maxPayloadLength`, so
   * Bun refuses a larger frame from its header (1009) before buffering it.
   * Default 16 MiB.
   */
  maxPayload?: number;
  /** `send()` returns `false` once Bun's buffered amount reaches this. Default 1 MiB. */
  highWaterMark?: number;
  /**
   * Outgoing bytes a peer that does not read may hold up; past it the
   * connection is closed with 1008 (by `send()`; by Bun for a subscriber of
   * `publish()`). Also Bun's `backpressureLimit`. Default 16 MiB.
   */
  maxBufferedAmount?: number;
  /** Ms the accept hook has to decide (503 after). Bun.serve reads the request head itself: see the README. Default 10000. */
  handshakeTimeout?: number;
  /** Ms to wait for the close handshake after our close frame before dropping the connection (1006). Default 5000. */
  closeTimeout?: number;
  /**
   * Ping idle peers and drop dead ones. On by default:
   * `{ interval: 30000, timeout: 60000 }`; `false` turns it off. Mapped onto
   * Bun's `idleTimeout` + `sendPings` (the only heartbeat Bun.serve sockets
   * have): `idleTimeout = ceil((interval + timeout) / 1000)` seconds (8 to
   * 960, Bun's range), Bun pings shortly before it and drops a peer silent
   * for all of it.
   */
  heartbeat?: { interval: number; timeout: number } | false;
  /**
   * permessage-deflate, negotiated and run by Bun. Any value but `false`
   * turns on Bun's shared compressor, which keeps no context between
   * messages (as `serverNoContextTakeover`). Default off.
   */
  perMessageDeflate?: boolean | { serverNoContextTakeover?: boolean };
}

/** Events of a {@link BunServeUpgrader}, as those of `WebSocketServer`. */
export interface BunServeUpgraderEvents<Data = unknown, Params = PathParams> {
  connection: [socket: BunServeSocket<Data>, request: ServerRequest<Params>];
  rejected: [status: number, reason: string];
  close: [];
}

/** Options of {@link BunServeUpgrader.publish}. */
export interface BunServePublishOptions {
  /** Send bytes as a text message (or a string as binary). Default: strings as text, bytes as binary. */
  binary?: boolean;
  /** Leave this subscriber out (Bun's `ws.publish`, which skips the sender). */
  except?: BunServeSocket<unknown>;
  /** Let Bun deflate it for subscribers that negotiated permessage-deflate. */
  compress?: boolean;
}

const textEncoder = new TextEncoder();
/** Plain (ref'd) timers for the accept-hook and close deadlines: a pending `close()` keeps the process alive. */
const serveScheduler: Scheduler = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Bun's `idleTimeout` (seconds, 0 or 8 to 960) for a framewire heartbeat: the
 * peer gets `interval + timeout` ms of silence in all, as on the raw-TCP
 * server, with Bun's ping shortly before. 0 turns Bun's heartbeat off.
 */
export function bunIdleTimeout(heartbeat: { interval: number; timeout: number } | false): number {
  const silence = heartbeatSilence(heartbeat);
  return silence === 0 ? 0 : Math.min(960, Math.max(8, Math.ceil(silence / 1000)));
}

/**
 * framewire's handshake policy for `Bun.serve`: the codec checks the request
 * (RFC 6455 §4.2.1), your accept hook decides (origin, auth, path, 401/403
 * with headers, `data`), the subprotocol is chosen by server policy, and
 * `server.upgrade` hands Bun's socket to a {@link BunServeSocket} with the
 * `Session` API. Bun frames the bytes on this path: see the README for what
 * holds here and where the raw `Bun.listen` `WebSocketServer` stays the
 * recommended one. Topics are Bun's native ones (`ws.subscribe`,
 * `server.publish`): Bun builds each frame once and writes it to every
 * subscriber without a JavaScript loop.
 *
 * @example
 * ```ts
 * const sockets = new BunServeUpgrader({ protocols: ['chat'] });
 * sockets.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
 * Bun.serve({
 *   fetch: (request, server) => (isWebSocketRequest(request) ? sockets.upgrade(request, server) : new Response('hello')),
 *   websocket: sockets.websocket,
 * });
 * ```
 */
export class BunServeUpgrader<Data = unknown, Path extends string = string> extends EventEmitter<
  BunServeUpgraderEvents<Data, RouteParams<Path>>
> {
  /**
   * The handlers and limits to pass as `Bun.serve({ websocket })`. Several
   * upgraders (routed by `path`) can share one Bun.serve: pass any one's
   * `websocket`, each socket still goes to the upgrader that accepted it,
   * but Bun's limits (`maxPayload`, `maxBufferedAmount`, heartbeat,
   * permessage-deflate) are those of the upgrader whose `websocket` you pass.
   */
  readonly websocket: WebSocketHandler<BunServeSlot>;
  readonly #options: BunServeUpgraderOptions<Data, Path>;
  readonly #core: ServeUpgraderCore<BunServeSocket<Data>, BunServeUpgradeContext, RouteParams<Path>>;
  /** Requests accepted and handed to `server.upgrade`, not yet opened by Bun. */
  readonly #opening = new Map<BunServeSlot, ServerRequest<RouteParams<Path>>>();
  #server: Server<BunServeSlot> | undefined;

  /** @throws TypeError for a malformed `path` pattern. */
  constructor(options: BunServeUpgraderOptions<Data, Path> = {}) {
    super();
    this.#options = options;
    this.#core = new ServeUpgraderCore(options, serveScheduler, {
      rejected: (status, reason) => this.emit('rejected', status, reason),
      close: () => this.emit('close'),
    });
    const maxBufferedAmount = options.maxBufferedAmount ?? SERVE_DEFAULTS.maxBufferedAmount;
    const idleTimeout = bunIdleTimeout(options.heartbeat ?? DEFAULT_SERVER_HEARTBEAT);
    this.websocket = {
      maxPayloadLength: options.maxPayload ?? SERVE_DEFAULTS.maxPayload,
      // send() closes with 1008 past the limit; a subscriber past it is closed by Bun (publish has no JS loop).
      backpressureLimit: maxBufferedAmount,
      closeOnBackpressureLimit: true,
      idleTimeout,
      sendPings: idleTimeout > 0,
      perMessageDeflate: deflateOn(options.perMessageDeflate),
      publishToSelf: false,
      // The slot's own upgrader opens it: these handlers may serve several upgraders on one Bun.serve.
      open: (ws) => ws.data.open(ws),
      message: (ws, message) => ws.data.socket?.onMessage(message as string | Uint8Array),
      drain: (ws) => ws.data.socket?.onDrain(),
      ping: (ws, data) => ws.data.socket?.onControl('ping', data as unknown as Uint8Array),
      pong: (ws, data) => ws.data.socket?.onControl('pong', data as unknown as Uint8Array),
      close: (ws, code, reason) => {
        ws.data.forget();
        ws.data.socket?.onClose(code, reason);
      },
    };
  }

  /** Whether this upgrader's `path` takes `pathname` (every path without one). */
  matches(pathname: string): boolean {
    return this.#core.matches(pathname);
  }

  /** Open connections (a live, read-only set). */
  get clients(): ReadonlySet<BunServeSocket<Data>> {
    return this.#core.clients;
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.#core.clients.size;
  }

  /** Upgrades in progress: the accept hook deciding, or Bun not yet opened. */
  get pendingCount(): number {
    return this.#core.pending + this.#opening.size;
  }

  /**
   * The upgrader's counters, as `WebSocketServer.metrics()`: connections,
   * refused upgrades by status and reason, messages, close codes. Bytes are
   * message payload bytes (Bun frames the wire and does not say how many
   * bytes it read; a `publish` counts in `messagesOut`, one per subscriber,
   * but not in `bytesOut`, Bun fans it out natively), and `deflate` stays 0 (Bun's own
   * permessage-deflate does not report its sizes). Format with `formatPrometheus()`.
   */
  metrics(): ServerMetrics {
    return this.#core.metrics(this.pendingCount);
  }

  /**
   * Answer a `Bun.serve` request: `undefined` once Bun took the upgrade (the
   * socket is handed to 'connection' listeners when Bun opens it; return
   * that `undefined` from `fetch`), or the refusal (400/405/426 from the
   * codec's checks, 404 for another path, 503 when full or closing, your
   * hook's status, 500 when the hook threw).
   */
  async upgrade(request: Request, server: Server<BunServeSlot>): Promise<Response | undefined> {
    this.#server ??= server;
    const url = new URL(request.url);
    const head = { method: request.method, target: `${url.pathname}${url.search}`, headers: request.headers };
    const peer = (): { remoteAddress: string | undefined; remotePort: number | undefined } => {
      const ip = server.requestIP(request);
      return { remoteAddress: ip?.address, remotePort: ip?.port };
    };
    const verdict = await this.#core.decide(head, { request, server }, peer, this.#opening.size);
    if (verdict.type === 'refuse') return responseOf(verdict.refusal);
    const { request: upgradeRequest, decision } = verdict;
    if (this.#core.closing) return this.#refuse(503, 'server closing', { 'Retry-After': '5' });
    const protocol = decision.protocol ?? this.#core.chooseProtocol(upgradeRequest);
    const headers = new Headers();
    for (const [name, value] of headerEntries(decision.headers)) headers.append(name, value);
    // Bun echoes the client's first offer when we name none; an empty value makes it send no header at all.
    headers.set('Sec-WebSocket-Protocol', protocol ?? '');
    const slot: BunServeSlot = {
      socket: undefined,
      data: decision.data,
      open: (ws) => this.#open(ws),
      forget: () => this.#opening.delete(slot),
      options: { protocol: protocol ?? '', ...serveSocketSettings(this.#options) },
    };
    this.#opening.set(slot, upgradeRequest);
    if (!server.upgrade(request, { data: slot, headers })) {
      this.#opening.delete(slot);
      // The codec accepted the request, so Bun's own checks should too; never throw out of a handler.
      return this.#refuse(400, 'Bun refused the upgrade');
    }
    return undefined;
  }

  /**
   * Send `data` to every connection subscribed to `topic` through Bun's
   * native fan-out (one frame built, written to each subscriber). A
   * subscriber past `maxBufferedAmount` is closed by Bun.
   * @returns how many subscribers the message was queued for (`except` not counted); 0 before the first upgrade.
   * @throws UsageError for a topic that is not a string of 1 to 1024 characters.
   */
  publish(topic: string, data: string | Uint8Array | ArrayBuffer, options: BunServePublishOptions = {}): number {
    checkTopic(topic);
    const server = this.#server;
    if (server === undefined) return 0;
    const bytes = typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    const payload = options.binary === true && typeof bytes === 'string' ? textEncoder.encode(bytes) : options.binary === false && typeof bytes !== 'string' ? new TextDecoder().decode(bytes) : bytes;
    const compress = options.compress === true;
    const except = options.except;
    let count = server.subscriberCount(topic);
    if (except !== undefined && except.readyState === 1 && except.isSubscribed(topic)) {
      // Bun's ws.publish skips the sender (publishToSelf: false).
      except.socket.publish(topic, payload, compress);
      count--;
    } else server.publish(topic, payload, compress);
    const delivered = Math.max(0, count);
    this.#core.published(delivered);
    return delivered;
  }

  /** The topics with at least one subscriber among this upgrader's connections. */
  get topics(): readonly string[] {
    const topics = new Set<string>();
    for (const client of this.#core.clients) for (const topic of client.topics) topics.add(topic);
    return [...topics];
  }

  /** Subscribers of `topic` (Bun's count). */
  subscriberCount(topic: string): number {
    return this.#server?.subscriberCount(topic) ?? 0;
  }

  /**
   * Graceful shutdown: refuse new upgrades (503), send 1001 to every
   * connection, wait up to `timeout` for their close handshakes, then drop
   * the rest (reported as 1006). A reason over 123 UTF-8 bytes is cut on a
   * character boundary. Stopping `Bun.serve` is yours, after this resolves.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#core.close(options);
  }

  #open(ws: ServerWebSocket<BunServeSlot>): void {
    const slot = ws.data;
    const request = this.#opening.get(slot);
    this.#opening.delete(slot);
    const socket = new BunServeSocket<Data>(ws, slot.options, extensionsOf(deflateOn(this.#options.perMessageDeflate), request));
    if (slot.data !== undefined) socket.data = slot.data as Data;
    slot.socket = socket as BunServeSocket<unknown>;
    this.#core.register(socket);
    if (this.#core.closing) {
      // Upgraded while shutting down: it gets 1001 at once and is never announced.
      socket.goingAway('server shutting down');
      return;
    }
    if (request !== undefined) this.emit('connection', socket, request);
  }

  #refuse(status: number, reason: string, headers?: Record<string, string>): Response {
    return responseOf(this.#core.refuse(status, reason, headers));
  }
}

function deflateOn(option: BunServeUpgraderOptions['perMessageDeflate']): boolean {
  return option !== undefined && option !== false;
}

/** What Bun negotiated: it accepts permessage-deflate when on and offered (Bun does not tell the handler). */
function extensionsOf(deflate: boolean, request: ServerRequest<unknown> | undefined): string {
  if (!deflate || request === undefined) return '';
  return request.extensions.some((offer) => offer.name === 'permessage-deflate') ? 'permessage-deflate' : '';
}

/** Does `request` ask for a WebSocket upgrade (`Upgrade: websocket`)? Route it to {@link BunServeUpgrader.upgrade}. */
export function isWebSocketRequest(request: Request): boolean {
  return isWebSocketUpgrade(request.headers.get('upgrade'));
}

/** A refusal from the codec as the `Response` Bun.serve sends (Bun frames the body and manages the connection itself). */
function responseOf(refusal: ServeRefusal): Response {
  const headers = new Headers();
  for (const [name, value] of refusal.headers) headers.append(name, value);
  return new Response(refusal.body, { status: refusal.status, statusText: refusal.statusText, headers });
}
