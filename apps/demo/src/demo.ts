/**
 * The runtime-neutral demo: the chat, the echo, the counters and the HTTP
 * routes of the page. A runtime's entry (node-main.ts, bun-main.ts,
 * deno-main.ts) makes its adapter's `WebSocketServer` with
 * {@link DEMO_SERVER_OPTIONS}, hands every connection to
 * {@link Demo.connection} and every plain HTTP request to {@link Demo.http}.
 *
 * @module
 */
import { MemoryBroker, type Broker, type Session, type UpgradeRequest } from '@framewire/codec/adapter';
import type { Asset } from './assets.js';
import { CHAT_TEXT_LIMIT, CHAT_TOPIC, ChatRoom, type ServedBy } from './chat-room.js';
import { Presence } from './presence.js';
import { EchoEndpoint, validEchoId } from './echo-endpoint.js';
import { Traffic, type TrafficSnapshot } from './traffic.js';

/** The runtimes the demo runs on. */
export type RuntimeName = 'node' | 'bun' | 'deno';

/**
 * Largest message (after decompression) on both paths: 16 MiB, the
 * adapters' default, written out because the page's "send 100 MiB" button
 * shows what happens beyond it (close 1009, RFC 6455 §7.4.1).
 */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** The WebSocket server options every runtime's entry uses. */
export const DEMO_SERVER_OPTIONS = {
  path: ['/chat', '/echo'],
  perMessageDeflate: true,
  maxPayload: MAX_MESSAGE_BYTES,
} as const;

/** What `GET /info` answers: which runtime served the page and the limits it shows. */
export interface DemoInfo {
  readonly runtime: RuntimeName;
  readonly runtimeVersion: string;
  readonly maxMessageBytes: number;
  readonly chatTextLimit: number;
  /** The process that served this request, and how many the cluster has. */
  readonly servedBy: ServedBy;
  readonly processes: number;
}

/** The part of a runtime's server the demo publishes through. */
export interface DemoServer {
  publish(topic: string, data: string): number;
}

/** The `{ type: 'stats' }` message the chat gets once a second and after each close. */
export interface StatsMessage extends TrafficSnapshot {
  readonly type: 'stats';
  readonly online: number;
}

/** An HTTP answer, for the entry to write in its runtime's terms. */
export interface DemoResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | string;
}

/** How a {@link Demo} is made. */
export interface DemoInit {
  readonly runtime: RuntimeName;
  readonly runtimeVersion: string;
  /** The page's files (see `loadAssets`). */
  readonly assets: ReadonlyMap<string, Asset>;
  /** Ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The broker the server uses (give the same one to the server's `broker`
   * option): presence travels on it. Default a new `MemoryBroker` (one process).
   */
  readonly broker?: Broker;
  /** This process, stamped on chat lines. Default `{ pid: 0, worker: 0 }`. */
  readonly servedBy?: ServedBy;
  /** Processes in the cluster (shown on the page). Default 1. */
  readonly processes?: number;
  /** Where broker failures go. Default: ignored (an outage must not end the process). */
  readonly onBrokerError?: (error: Error) => void;
}

const STATS_INTERVAL_MS = 1000;
const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:",
};

/** The demo's state: one per server. Call {@link Demo.dispose} when the server stops. */
export class Demo {
  readonly #init: DemoInit;
  readonly #traffic: Traffic;
  readonly #chat: ChatRoom;
  readonly #echo: EchoEndpoint;
  readonly #presence: Presence;
  readonly #servedBy: ServedBy;
  readonly #now: () => number;
  #server: DemoServer | undefined;
  #closing: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(init: DemoInit) {
    this.#init = init;
    this.#now = init.now ?? Date.now;
    this.#servedBy = init.servedBy ?? { pid: 0, worker: 0 };
    this.#traffic = new Traffic(this.#now);
    const count = (bytes: number): void => this.#traffic.message(bytes);
    // A random part too: pids repeat across machines sharing one Redis.
    const id = `${this.#servedBy.pid}-${this.#servedBy.worker}-${Math.random().toString(36).slice(2, 10)}`;
    this.#presence = new Presence({
      broker: init.broker ?? new MemoryBroker(),
      id,
      local: () => this.#chat.online,
      onChange: () => this.#chat.presence(),
      ...(init.onBrokerError !== undefined ? { onError: init.onBrokerError } : {}),
      now: this.#now,
    });
    this.#chat = new ChatRoom(count, {
      // Before `attach` (tests without a server) a line reaches nobody but is still counted in.
      publish: (text) => this.#server?.publish(CHAT_TOPIC, text) ?? 0,
      servedBy: this.#servedBy,
      total: () => this.#presence.total,
      onCountChange: () => void this.#presence.announce(),
    });
    this.#echo = new EchoEndpoint(count);
    this.#timer = setInterval(() => this.#sendStats(), STATS_INTERVAL_MS);
  }

  /** Chat members now, in every process of the cluster. */
  get online(): number {
    return this.#presence.total;
  }

  /** Give the demo its server (chat lines go out through `server.publish`). */
  attach(server: DemoServer): void {
    this.#server = server;
  }

  /** A WebSocket connection accepted on /chat or /echo. */
  connection(session: Session, request: UpgradeRequest): void {
    if (request.path === '/chat') this.#chat.join(session);
    else this.#echo.serve(session, request);
    // After the room's own listener, so a leaver is out of the count this sends.
    session.on('close', (info) => {
      this.#traffic.closed({ path: request.path, code: info.code, reason: info.reason, at: this.#now() });
      // The close list is live: everyone sees a code as soon as a connection ends.
      this.#sendStats();
    });
    // A session's own errors end in its close code; nothing to add here.
    session.on('error', () => {});
  }

  /** A plain HTTP request on the page's port: `url` is the request target ('/path?query'). */
  http(method: string, url: string): DemoResponse {
    if (method !== 'GET' && method !== 'HEAD') {
      return text(405, 'only GET and HEAD here\n', { allow: 'GET, HEAD' });
    }
    const { pathname, searchParams } = new URL(url, 'http://demo.invalid');
    const answer = this.#route(pathname, searchParams);
    return method === 'HEAD' ? { ...answer, body: '' } : answer;
  }

  /** The counters as the page gets them. */
  stats(): StatsMessage {
    return { type: 'stats', online: this.online, ...this.#traffic.snapshot() };
  }

  /** Stop the timers and tell the other processes this one has left (see {@link Demo.close} to wait for that). */
  dispose(): void {
    void this.close();
  }

  /** {@link Demo.dispose}, resolving once the goodbye to the other processes is out (at most 0.5 s). */
  close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#closing ??= this.#presence.stop();
    return this.#closing;
  }

  #route(pathname: string, query: URLSearchParams): DemoResponse {
    const asset = this.#init.assets.get(pathname === '/index.html' ? '/' : pathname);
    if (asset !== undefined) return { status: 200, headers: { ...COMMON_HEADERS, 'content-type': asset.type }, body: asset.body };
    if (pathname === '/info') return json(200, this.#info());
    if (pathname === '/stats') return json(200, this.stats());
    if (pathname === '/wire') {
      const id = query.get('id') ?? undefined;
      if (!validEchoId(id)) return text(400, 'wire: ?id= must be 1-64 letters, digits, _ or -\n');
      const report = this.#echo.report(id);
      return report === undefined ? text(404, `wire: no open echo connection with id ${id}\n`) : json(200, report);
    }
    return text(404, `not found: ${pathname}\n`);
  }

  #info(): DemoInfo {
    return {
      runtime: this.#init.runtime,
      runtimeVersion: this.#init.runtimeVersion,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      chatTextLimit: CHAT_TEXT_LIMIT,
      servedBy: this.#servedBy,
      processes: this.#init.processes ?? 1,
    };
  }

  #sendStats(): void {
    if (this.#chat.online > 0) this.#chat.broadcast(JSON.stringify(this.stats()), false);
  }
}

function json(status: number, value: unknown): DemoResponse {
  return { status, headers: { ...COMMON_HEADERS, 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function text(status: number, body: string, headers: Record<string, string> = {}): DemoResponse {
  return { status, headers: { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}
