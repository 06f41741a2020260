/**
 * The runtime-neutral half of the `Deno.serve` and `Bun.serve` upgraders,
 * where the runtime frames the wire and framewire only decides: the codec's
 * request checks on the runtime's request, the path filter, the connection
 * limit, the accept hook under its deadline, the subprotocol policy, the
 * refusals as plain data, the registry of open sockets with its counters,
 * and the graceful close. The adapter keeps only what names its runtime:
 * turning its `Request` into a {@link ServeRequestHead}, a
 * {@link ServeRefusal} into a `Response`, and the upgrade call itself.
 *
 * @module
 */
import { HeadParser, type ResponseHead } from '../protocol/http-head.js';
import { ServerHandshake, rejectUpgrade, type UpgradeRequest } from '../protocol/handshake-server.js';
import { selectSubprotocol } from '../protocol/subprotocol.js';
import type { Scheduler } from '../session/scheduler.js';
import type { AcceptDecision } from '../session/upgrade-server.js';
import type { AdapterAcceptHook } from './adapter-options.js';
import { RouteTable, type PathParams } from './route-pattern.js';
import { ServerCounters, type CountedConnection, type ServerMetrics } from './server-metrics.js';
import type { ServerRequest } from './server-request.js';

const MiB = 1024 * 1024;

/** The defaults both serve upgraders document for their options. */
export const SERVE_DEFAULTS = Object.freeze({
  maxPayload: 16 * MiB,
  highWaterMark: 1 * MiB,
  maxBufferedAmount: 16 * MiB,
  handshakeTimeout: 10_000,
  closeTimeout: 5000,
  binaryType: 'uint8array',
} as const);

/**
 * The options of the `Deno.serve` and `Bun.serve` upgraders that mean the
 * same on both runtimes; each upgrader's options extend these with what its
 * runtime maps differently (the accept hook's context, limits, heartbeat).
 */
export interface ServeUpgraderSharedOptions<Path extends string = string> {
  /** Subprotocols we speak in our preference order, or a function choosing among the offers. */
  protocols?: readonly string[] | ((offered: readonly string[], request: UpgradeRequest) => string | undefined);
  /**
   * Paths taken, query ignored: exact, `/rooms/:id` (in `request.params`) or
   * a final `*`; other paths get 404. Default: every path.
   */
  path?: Path | readonly Path[];
  /** Most connections at once; more get 503 before the upgrade. Default: no limit. */
  maxConnections?: number;
  /** Binary messages as `Uint8Array` (default) or `ArrayBuffer`. */
  binaryType?: 'uint8array' | 'arraybuffer';
  /** Largest request head re-checked by the codec (431 beyond). Codec default. */
  maxHeaderBytes?: number;
  /** Where listener exceptions go. Default: an unhandled rejection. */
  onListenerError?: (error: unknown, event: string) => void;
}

/** The options every serve upgrader shares, typed for any `Data` and `path` pattern (the core passes data through). */
export interface ServeUpgraderCoreOptions<Context> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Data and Params are the adapter's to type
  accept?: AdapterAcceptHook<Context, any, any> | undefined;
  protocols?: readonly string[] | ((offered: readonly string[], request: UpgradeRequest) => string | undefined) | undefined;
  path?: string | readonly string[] | undefined;
  handshakeTimeout?: number | undefined;
  maxConnections?: number | undefined;
  maxHeaderBytes?: number | undefined;
}

/** The per-socket options both serve upgraders hand their sockets, with the documented defaults. */
export interface ServeSocketSettings {
  highWaterMark: number;
  maxBufferedAmount: number;
  closeTimeout: number;
  binaryType: 'uint8array' | 'arraybuffer';
  onListenerError: ((error: unknown, event: string) => void) | undefined;
}

/** The options of a serve upgrader that its sockets take. */
export interface ServeSocketOptionsInput {
  highWaterMark?: number | undefined;
  maxBufferedAmount?: number | undefined;
  closeTimeout?: number | undefined;
  binaryType?: 'uint8array' | 'arraybuffer' | undefined;
  onListenerError?: ((error: unknown, event: string) => void) | undefined;
}

/** `options` with the defaults filled in, for a serve upgrader's socket. */
export function serveSocketSettings(options: ServeSocketOptionsInput): ServeSocketSettings {
  return {
    highWaterMark: options.highWaterMark ?? SERVE_DEFAULTS.highWaterMark,
    maxBufferedAmount: options.maxBufferedAmount ?? SERVE_DEFAULTS.maxBufferedAmount,
    closeTimeout: options.closeTimeout ?? SERVE_DEFAULTS.closeTimeout,
    binaryType: options.binaryType ?? SERVE_DEFAULTS.binaryType,
    onListenerError: options.onListenerError,
  };
}

/**
 * Ms of silence a heartbeat allows a peer in all (`interval + timeout`),
 * which the runtimes' own `idleTimeout` settings are derived from; 0 when
 * the heartbeat is off.
 */
export function heartbeatSilence(heartbeat: { interval: number; timeout: number } | false): number {
  if (heartbeat === false || heartbeat.interval <= 0) return 0;
  return heartbeat.interval + Math.max(0, heartbeat.timeout);
}

/** Whether an `Upgrade` header value names `websocket` (case-insensitive, inside a list). */
export function isWebSocketUpgrade(upgrade: string | null | undefined): boolean {
  return upgrade != null && upgrade.split(',').some((token) => token.trim().toLowerCase() === 'websocket');
}

/** A request as the runtime handed it over: what the codec re-reads as an HTTP/1.1 head. */
export interface ServeRequestHead {
  readonly method: string;
  /** Path and query, as in the request line. */
  readonly target: string;
  /** The header fields (a runtime's `Headers` iterates as these pairs). */
  readonly headers: Iterable<readonly [string, string]>;
}

/** The peer as the runtime reports it (either may be unknown). */
export interface ServePeer {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/**
 * A refusal as plain data, for the adapter's `Response`: the status line
 * and headers of the codec's refusal bytes, minus `Content-Length` and
 * `Connection` (the runtime's HTTP server frames the body and manages the
 * connection itself), and the body.
 */
export interface ServeRefusal {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array | string;
}

/** A request the serve upgrader may take: the request for 'connection' and the hook's accept decision. */
export interface ServeAccepted<Params> {
  readonly type: 'accept';
  readonly request: ServerRequest<Params>;
  readonly decision: Extract<AcceptDecision<unknown>, { type: 'accept' }>;
}

/** What {@link ServeUpgraderCore.decide} concluded. */
export type ServeVerdict<Params> = ServeAccepted<Params> | { readonly type: 'refuse'; readonly refusal: ServeRefusal };

/** A serve upgrader's socket as the core tracks it: its counters, its end, and the two ways to end it. */
export interface ServeCoreSocket extends CountedConnection {
  readonly closed: Promise<unknown>;
  /** Close with 1001 (shutdown). */
  goingAway(reason: string): void;
  /** Drop without a close handshake (reported as 1006). */
  terminate(): void;
}

/** Where the core reports: the adapter forwards these to its upgrader's events. */
export interface ServeUpgraderCoreEvents {
  rejected(status: number, reason: string): void;
  close(): void;
}

/** Options of {@link ServeUpgraderCore.close}. */
export interface ServeCloseOptions {
  /** Ms to wait for close handshakes after 1001 before dropping the rest. Default 5000. */
  timeout?: number;
  /** Close reason sent with 1001. Default 'server shutting down'. */
  reason?: string;
}

const NO_PARAMS: PathParams = Object.freeze({});
const RETRY_LATER = Object.freeze({ 'Retry-After': '5' });

/**
 * The shared bookkeeping of a serve upgrader (see the module comment).
 * Timers come from the injected `scheduler`: the core starts none itself.
 *
 * @example Inside an adapter's upgrader
 * ```ts
 * this.#core = new ServeUpgraderCore(options, scheduler, {
 *   rejected: (status, reason) => this.emit('rejected', status, reason),
 *   close: () => this.emit('close'),
 * });
 * const verdict = await this.#core.decide(head, context, () => peer);
 * if (verdict.type === 'refuse') return toResponse(verdict.refusal);
 * ```
 */
export class ServeUpgraderCore<Socket extends ServeCoreSocket, Context, Params = PathParams> {
  readonly #options: ServeUpgraderCoreOptions<Context>;
  readonly #scheduler: Scheduler;
  readonly #events: ServeUpgraderCoreEvents;
  readonly #routes: RouteTable | undefined;
  readonly #clients = new Set<Socket>();
  readonly #counters = new ServerCounters();
  /** Accept hooks deciding. */
  #pending = 0;
  #closing: Promise<void> | undefined;

  /** @throws TypeError for a malformed `path` pattern. */
  constructor(options: ServeUpgraderCoreOptions<Context>, scheduler: Scheduler, events: ServeUpgraderCoreEvents) {
    this.#options = options;
    this.#scheduler = scheduler;
    this.#events = events;
    const path = options.path;
    this.#routes = path === undefined ? undefined : new RouteTable(path);
  }

  /** Whether `path` takes `pathname` (every path without one). */
  matches(pathname: string): boolean {
    return this.#routes === undefined || this.#routes.match(pathname) !== undefined;
  }

  /** Open sockets (a live, read-only set). */
  get clients(): ReadonlySet<Socket> {
    return this.#clients;
  }

  /** Accept hooks still deciding. */
  get pending(): number {
    return this.#pending;
  }

  /** `close()` was called: new upgrades get 503. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** The counters now; `pending` is what the adapter counts as upgrades in progress. */
  metrics(pending: number = this.#pending): ServerMetrics {
    return this.#counters.snapshot(this.#clients, pending);
  }

  /** Count and report a refusal, and describe its response (`headers` beside the codec's). */
  refuse(status: number, reason: string, headers?: Readonly<Record<string, string>>): ServeRefusal {
    this.#counters.refused(status, reason);
    this.#events.rejected(status, reason);
    return refusalOf(rejectUpgrade(status, headers !== undefined ? { headers } : {}));
  }

  /**
   * Decide on one upgrade request, as the raw-TCP servers do: 503 while
   * closing or full (`opening` sockets accepted but not yet open count too),
   * the codec's checks (RFC 6455 §4.2.1; 400/405/426/431), 404 for another
   * path, then the accept hook with `context` (500 when it throws, 503 when
   * it does not decide within `handshakeTimeout`, its own refusal). `peer`
   * is asked only for a request on one of our paths.
   */
  async decide(head: ServeRequestHead, context: Context, peer: () => ServePeer, opening = 0): Promise<ServeVerdict<Params>> {
    if (this.#closing !== undefined) return this.#refused(503, 'server closing', RETRY_LATER);
    const checked = new ServerHandshake(this.#options.maxHeaderBytes !== undefined ? { maxHeaderBytes: this.#options.maxHeaderBytes } : {}).receive(
      requestHeadBytes(head),
    );
    if (checked.type !== 'request') {
      const status = checked.type === 'reject' ? checked.status : 400;
      const reason = checked.type === 'reject' ? checked.reason : 'incomplete request';
      this.#counters.refused(status, reason);
      this.#events.rejected(status, reason);
      return { type: 'refuse', refusal: refusalOf(checked.type === 'reject' ? checked.response : rejectUpgrade(400)) };
    }
    const params = this.#routes === undefined ? NO_PARAMS : this.#routes.match(checked.request.path);
    if (params === undefined) return this.#refused(404, 'no server for this path');
    const { remoteAddress, remotePort } = peer();
    const request = Object.freeze({ ...checked.request, params, remoteAddress, remotePort }) as ServerRequest<Params>;
    const max = this.#options.maxConnections ?? Number.POSITIVE_INFINITY;
    if (this.#clients.size + opening + this.#pending >= max) return this.#refused(503, 'server full', RETRY_LATER);
    this.#pending++;
    let decision: AcceptDecision<unknown> | undefined;
    try {
      const hook = this.#options.accept;
      decision = hook === undefined ? { type: 'accept' } : await this.#withDeadline(hook(request as ServerRequest, context));
    } catch {
      this.#pending--;
      return this.#refused(500, 'the accept hook failed');
    }
    this.#pending--;
    if (decision === undefined) return this.#refused(503, 'the accept hook did not decide within handshakeTimeout', RETRY_LATER);
    if (decision.type === 'reject') {
      const reason = 'refused by the accept hook';
      this.#counters.refused(decision.status, reason);
      this.#events.rejected(decision.status, reason);
      return { type: 'refuse', refusal: refusalOf(rejectUpgrade(decision.status, { headers: decision.headers, body: decision.body })) };
    }
    return { type: 'accept', request, decision };
  }

  /** The subprotocol by server policy (`protocols`), among those `request` offers; `undefined` for none. */
  chooseProtocol(request: UpgradeRequest): string | undefined {
    const protocols = this.#options.protocols;
    if (protocols === undefined || request.protocols.length === 0) return undefined;
    if (typeof protocols === 'function') return protocols(request.protocols, request);
    return selectSubprotocol(request.protocols, protocols);
  }

  /** `delivered` subscribers were sent one published message (the runtime's own fan-out). */
  published(delivered: number): void {
    this.#counters.published(delivered);
  }

  /** Track an accepted socket until it closes, folding its counters into the totals then. */
  register(socket: Socket): void {
    this.#clients.add(socket);
    this.#counters.accepted();
    void socket.closed.then(() => {
      this.#clients.delete(socket);
      this.#counters.closed(socket);
    });
  }

  /**
   * Graceful shutdown, once (later calls return the same promise): refuse
   * new upgrades (503), send 1001 to every socket, wait up to `timeout` for
   * their close handshakes, then drop the rest and emit `close`.
   */
  close(options: ServeCloseOptions = {}): Promise<void> {
    this.#closing ??= (async () => {
      for (const client of this.#clients) client.goingAway(options.reason ?? 'server shutting down');
      let timer: unknown;
      const deadline = new Promise<void>((resolve) => (timer = this.#scheduler.setTimer(resolve, options.timeout ?? 5000)));
      await Promise.race([Promise.all([...this.#clients].map((c) => c.closed)), deadline]);
      this.#scheduler.clearTimer(timer);
      for (const client of this.#clients) client.terminate();
      this.#events.close();
    })();
    return this.#closing;
  }

  #refused(status: number, reason: string, headers?: Readonly<Record<string, string>>): ServeVerdict<Params> {
    return { type: 'refuse', refusal: this.refuse(status, reason, headers) };
  }

  /** The hook's decision, or `undefined` when it did not settle within `handshakeTimeout`. */
  async #withDeadline<T>(decision: T | Promise<T>): Promise<T | undefined> {
    if (!(decision instanceof Promise)) return decision;
    let timer: unknown;
    const ms = this.#options.handshakeTimeout ?? SERVE_DEFAULTS.handshakeTimeout;
    const deadline = new Promise<undefined>((resolve) => (timer = this.#scheduler.setTimer(() => resolve(undefined), ms)));
    try {
      return await Promise.race([decision, deadline]);
    } finally {
      this.#scheduler.clearTimer(timer);
    }
  }
}

/**
 * `head` as the bytes of an HTTP/1.1 request head, for the codec's
 * `ServerHandshake`, so both server paths apply the same rules. The HTTP
 * version is lost (a runtime's `Request` does not carry it): it is written
 * as HTTP/1.1. Header values are Latin-1 (RFC 9110 §5.5).
 */
export function requestHeadBytes(head: ServeRequestHead): Uint8Array {
  let text = `${head.method} ${head.target} HTTP/1.1\r\n`;
  for (const [name, value] of head.headers) text += `${name}: ${value}\r\n`;
  text += '\r\n';
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** The codec's refusal bytes as a {@link ServeRefusal}, so its statuses and headers reach the client as written. */
export function refusalOf(bytes: Uint8Array): ServeRefusal {
  const parsed = new HeadParser<ResponseHead>('response').push(bytes);
  if (parsed.type !== 'head') return { status: 500, statusText: '', headers: [], body: 'Internal Server Error' };
  const headers: [string, string][] = [];
  for (const [name, value] of parsed.head.headers) {
    const lower = name.toLowerCase();
    if (lower !== 'content-length' && lower !== 'connection') headers.push([name, value]);
  }
  return { status: parsed.head.status, statusText: parsed.head.statusText, headers, body: parsed.rest.slice() };
}
