/**
 * The server upgrade driver: reads an HTTP upgrade request from a
 * {@link Transport}, asks the application, negotiates extensions, writes the
 * 101 or the refusal and hands the transport to a new {@link Session}. Every
 * adapter uses it unchanged; an adapter only wires its socket to
 * {@link ServerUpgrade}'s sink methods.
 *
 * @module
 */
import { Connection } from '../protocol/connection.js';
import type { ConnectionOptions } from '../protocol/connection-options.js';
import { UsageError } from '../protocol/errors.js';
import { headerEntries, type HeaderInit } from '../protocol/header-tokens.js';
import {
  acceptUpgrade,
  originAllowed,
  rejectUpgrade,
  ServerHandshake,
  type OriginPolicy,
  type ServerHandshakeResult,
  type UpgradeRequest,
} from '../protocol/handshake-server.js';
import type { RequestHead } from '../protocol/http-head.js';
import type { MessageExtension } from '../protocol/extension.js';
import type { Reservation, ServerRegistry } from './server-registry.js';
import { TimerSlot, type Scheduler } from './scheduler.js';
import { Session, type SessionInit, type SessionOptions } from './session.js';
import { selectSubprotocol } from '../protocol/subprotocol.js';
import type { Transport, TransportSink } from './transport.js';
import { concatBytes } from '../protocol/bytes.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, sessionOptions, type UpgradeOptions } from './upgrade.js';

/**
 * The application's answer to an upgrade request; build it with {@link accept}
 * or {@link reject}. `Data` is what the accepted session carries as
 * `session.data`.
 */
export type AcceptDecision<Data = unknown> =
  | {
      readonly type: 'accept';
      readonly protocol?: string | undefined;
      readonly headers?: HeaderInit | undefined;
      readonly data?: Data | undefined;
    }
  | {
      readonly type: 'reject';
      readonly status: number;
      readonly headers?: HeaderInit | undefined;
      readonly body?: string | Uint8Array | undefined;
    };

/**
 * Decides whether to upgrade; may be async (a token lookup, run once per
 * connection). A thrown error refuses with 500. `Data` is what it attaches
 * to the session (`undefined` for hooks that attach nothing).
 */
export type AcceptHook<Data = undefined> = (request: UpgradeRequest) => AcceptDecision<Data> | Promise<AcceptDecision<Data>>;

/** What {@link accept} takes. */
export interface AcceptInit<Data> {
  /** The subprotocol, one the client offered. */
  protocol?: string | undefined;
  /** Extra response headers. */
  headers?: HeaderInit | undefined;
  /** Per-connection data: lands as `session.data` (a user id, a room) so the hook's lookup runs once. */
  data?: Data | undefined;
}

/**
 * Accept the upgrade, optionally choosing a subprotocol (one the client
 * offered), adding response headers and attaching `data` to the session.
 *
 * @example `accept: async (req) => accept({ data: { user: await users.byToken(getQueryParam(req, 'token')) } })`
 */
export function accept<Data = undefined>(options: AcceptInit<Data> = {}): AcceptDecision<Data> {
  return Object.freeze({ type: 'accept', ...options });
}

/** What {@link reject} takes: the status, optional headers and body. */
export interface RejectDecisionInit {
  readonly status: number;
  readonly headers?: HeaderInit | undefined;
  readonly body?: string | Uint8Array | undefined;
}

/**
 * Refuse the upgrade with an HTTP status (e.g. 401, 403), optional headers
 * and body: `reject(403)` or `reject({ status: 401, headers: { 'WWW-Authenticate': 'Bearer' } })`.
 */
export function reject(
  init: number | RejectDecisionInit,
  options: { headers?: HeaderInit | undefined; body?: string | Uint8Array | undefined } = {},
): AcceptDecision<never> {
  const full: RejectDecisionInit = typeof init === 'number' ? { status: init, ...options } : init;
  return Object.freeze({ type: 'reject', ...full });
}

/**
 * An accept hook that lets in only allowed origins (403 otherwise); see
 * `originAllowed` for the policy forms.
 *
 * @example `accept: allowOrigins(['https://app.example'])`
 */
export function allowOrigins(policy: OriginPolicy, options: { allowMissing?: boolean } = {}): AcceptHook<undefined> {
  return (request) => (originAllowed(request, policy, options) ? accept() : reject(403));
}

/**
 * An accept hook that requires a bearer token: from `Authorization: Bearer
 * <token>`, or from the query parameter `queryParam` (browsers cannot set
 * headers on a WebSocket). 401 with `WWW-Authenticate: Bearer` when missing or
 * refused by `verify`.
 *
 * @example `accept: bearerToken((token) => sessions.has(token), { queryParam: 'token' })`
 */
export function bearerToken(
  verify: (token: string, request: UpgradeRequest) => boolean | Promise<boolean>,
  options: { queryParam?: string } = {},
): AcceptHook<undefined> {
  const refuse = reject(401, { headers: { 'WWW-Authenticate': 'Bearer' } });
  return async (request) => {
    let token: string | undefined;
    const auth = request.headers.get('authorization');
    const match = auth === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (match !== null) token = match[1];
    else if (options.queryParam !== undefined) {
      for (const [name, value] of request.queryParams) {
        if (name === options.queryParam) {
          token = value;
          break;
        }
      }
    }
    if (token === undefined || token.length === 0) return refuse;
    return (await verify(token, request)) ? accept() : refuse;
  };
}

/**
 * Run hooks in order: the first refusal wins; otherwise accept with the
 * last chosen subprotocol and data, and every hook's headers.
 *
 * @example `accept: allOf(allowOrigins(['https://app.example']), bearerToken(check))`
 */
export function allOf<Data = undefined>(...hooks: Array<AcceptHook<Data>>): AcceptHook<Data> {
  return async (request) => {
    let protocol: string | undefined;
    let data: Data | undefined;
    const headers: Array<readonly [string, string]> = [];
    for (const hook of hooks) {
      const decision = await hook(request);
      if (decision.type === 'reject') return decision;
      if (decision.protocol !== undefined) protocol = decision.protocol;
      if (decision.data !== undefined) data = decision.data;
      if (decision.headers !== undefined) headers.push(...headerEntries(decision.headers));
    }
    return accept({ protocol, headers, data });
  };
}


/** Options of {@link acceptWebSocket}. */
export interface ServerUpgradeOptions extends UpgradeOptions {
  /** Decide per request (origin, auth, path). Default: accept every valid request. */
  accept?: (request: UpgradeRequest) => AcceptDecision | Promise<AcceptDecision>;
  /**
   * Runs on the validated request before anything else (before the registry
   * and the hook): returns the request the hook and the result see (with
   * route parameters, the peer's address), or `undefined` to refuse with 404
   * (no route takes this path).
   */
  resolve?: (request: UpgradeRequest) => UpgradeRequest | undefined;
  /**
   * Subprotocols we speak, in our preference order, used when the accept
   * hook does not choose one; or a function choosing among the offers.
   */
  protocols?: readonly string[] | ((offered: readonly string[], request: UpgradeRequest) => string | undefined);
  /** The server's connection set: full → 503 before the hook; accepted sessions are added. */
  registry?: ServerRegistry;
  /** Bytes already read from the transport (a sniffed first read); the head is parsed from them. */
  initialBytes?: Uint8Array;
  /**
   * A request head another parser already read (Node's HTTP server, a
   * sniffer), with the bytes that followed it: validated, not parsed again.
   * Takes the place of `initialBytes`.
   */
  parsedRequest?: { readonly head: RequestHead; readonly rest?: Uint8Array };
  /** After a refusal was written, destroy a transport the client has not closed within this many ms. Default 2000. */
  rejectCloseTimeout?: number;
}

/** How a server upgrade ended. {@link ServerUpgrade.result} never rejects. */
export type ServerUpgradeResult =
  /** The 101 was written; the session owns the transport. */
  | { readonly type: 'accepted'; readonly session: Session; readonly request: UpgradeRequest }
  /**
   * An error response was written and the transport ended: an invalid request
   * (400, 405, 426, 431...), the hook's refusal, 503 when the registry was
   * full, 500 when the hook threw (`error`).
   */
  | {
      readonly type: 'rejected';
      readonly status: number;
      readonly reason: string;
      readonly request: UpgradeRequest | undefined;
      readonly error?: unknown;
    }
  /** No response could be written: the handshake timed out or the transport ended first. */
  | { readonly type: 'failed'; readonly reason: 'timeout' | 'eof'; readonly request: UpgradeRequest | undefined; readonly error?: unknown };

/**
 * Drives one server-side upgrade over a transport: wire the transport's
 * events to it (it forwards them to the session once upgraded) and await
 * {@link ServerUpgrade.result}.
 *
 * @example In an adapter
 * ```ts
 * const upgrade = acceptWebSocket(transport, { scheduler, registry, accept: allowOrigins(['https://app.example']) });
 * socket.on('data', (chunk) => upgrade.receive(chunk));
 * socket.on('end', () => upgrade.receiveEof());
 * socket.on('drain', () => upgrade.drain());
 * const result = await upgrade.result;
 * if (result.type === 'accepted') server.emit('connection', result.session, result.request);
 * ```
 */
export class ServerUpgrade implements TransportSink {
  /** Settles once with the outcome; never rejects. */
  readonly result: Promise<ServerUpgradeResult>;
  readonly #transport: Transport;
  readonly #options: ServerUpgradeOptions;
  readonly #handshake: ServerHandshake;
  readonly #timer: TimerSlot;
  /** Armed only after a refusal; created then. */
  #closeTimer: TimerSlot | undefined;
  #resolve!: (result: ServerUpgradeResult) => void;
  #state: 'reading' | 'deciding' | 'upgraded' | 'done' = 'reading';
  #request: UpgradeRequest | undefined;
  #reservation: Reservation | undefined;
  /** Bytes after the request head, kept for the session. */
  #early: Uint8Array[] = [];
  #session: Session | undefined;
  #paused = false;

  constructor(transport: Transport, options: ServerUpgradeOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#handshake = new ServerHandshake(options.headLimits ?? {});
    this.result = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    const scheduler = options.scheduler;
    this.#timer = new TimerSlot(scheduler, () => this.#timeout());
    this.#timer.set(scheduler.now() + (options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT));
    const parsed = options.parsedRequest;
    if (parsed !== undefined) this.#onHandshake(this.#handshake.receiveHead(parsed.head, parsed.rest));
    else if (options.initialBytes !== undefined && options.initialBytes.length > 0) this.receive(options.initialBytes);
  }

  /** The parsed request, once complete. */
  get request(): UpgradeRequest | undefined {
    return this.#request;
  }

  /** The session, once upgraded. */
  get session(): Session | undefined {
    return this.#session;
  }

  receive(chunk: Uint8Array): void {
    switch (this.#state) {
      case 'upgraded':
        this.#session!.receive(chunk);
        return;
      case 'deciding':
        this.#early.push(chunk); // the transport is paused; at most a read or two land here
        return;
      case 'done':
        return;
      case 'reading':
        break;
    }
    this.#onHandshake(this.#handshake.receive(chunk));
  }

  #onHandshake(r: ServerHandshakeResult): void {
    if (r.type === 'need-more') return;
    if (r.type === 'reject') {
      this.#refuse(r.status, r.response, r.reason, undefined);
      return;
    }
    let request: UpgradeRequest | undefined = r.request;
    const resolve = this.#options.resolve;
    if (resolve !== undefined) {
      request = resolve(request);
      if (request === undefined) {
        this.#refuse(404, rejectUpgrade(404), 'no route for this path', r.request);
        return;
      }
    }
    this.#request = request;
    if (r.rest.length > 0) this.#early.push(r.rest);
    this.#decide(request);
  }

  receiveEof(error?: unknown): void {
    if (this.#state === 'upgraded') {
      this.#session!.receiveEof(error);
      return;
    }
    this.#closeTimer?.clear();
    if (this.#state === 'done') return;
    this.#fail('eof', error);
  }

  drain(): void {
    if (this.#state === 'upgraded') this.#session!.drain();
  }

  #decide(request: UpgradeRequest): void {
    const registry = this.#options.registry;
    if (registry !== undefined) {
      this.#reservation = registry.reserve();
      if (this.#reservation === undefined) {
        this.#refuse(503, rejectUpgrade(503, { headers: { 'Retry-After': '5' } }), 'server full', request);
        return;
      }
    }
    this.#state = 'deciding';
    this.#setPaused(true);
    const hook = this.#options.accept;
    let decision: AcceptDecision | Promise<AcceptDecision>;
    try {
      decision = hook === undefined ? accept() : hook(request);
    } catch (error) {
      this.#internalError(request, error);
      return;
    }
    if (typeof (decision as { then?: unknown }).then === 'function') {
      (decision as Promise<AcceptDecision>).then(
        (d) => this.#apply(request, d),
        (error: unknown) => this.#internalError(request, error),
      );
    } else this.#apply(request, decision as AcceptDecision);
  }

  #apply(request: UpgradeRequest, decision: AcceptDecision): void {
    if (this.#state !== 'deciding') return; // timed out or the client left meanwhile
    if (decision.type === 'reject') {
      let response: Uint8Array;
      try {
        response = rejectUpgrade(decision.status, { headers: decision.headers, body: decision.body });
      } catch (error) {
        this.#internalError(request, error);
        return;
      }
      this.#refuse(decision.status, response, 'refused by the accept hook', request);
      return;
    }
    const protocol = decision.protocol ?? this.#chooseProtocol(request);
    let extension: MessageExtension | undefined;
    let extensionsHeader: string | undefined;
    for (const negotiator of this.#options.extensions ?? []) {
      const negotiated = negotiator.negotiateServer(request.extensions);
      if (negotiated !== undefined) {
        extension = negotiated.extension;
        extensionsHeader = negotiated.response;
        break; // one per-message extension per connection (RSV1)
      }
    }
    let response: Uint8Array;
    try {
      response = acceptUpgrade(request, { protocol, extensions: extensionsHeader, headers: decision.headers });
    } catch (error) {
      extension?.dispose();
      this.#internalError(request, error);
      return;
    }
    this.#upgrade(request, response, protocol, extension, extensionsHeader, decision.data);
  }

  #chooseProtocol(request: UpgradeRequest): string | undefined {
    const protocols = this.#options.protocols;
    if (protocols === undefined || request.protocols.length === 0) return undefined;
    if (typeof protocols === 'function') return protocols(request.protocols, request);
    // Server policy: our preference order (RFC 6455 §4.2.2 item 5.4).
    return selectSubprotocol(request.protocols, protocols);
  }

  #upgrade(
    request: UpgradeRequest,
    response: Uint8Array,
    protocol: string | undefined,
    extension: MessageExtension | undefined,
    extensionsHeader: string | undefined,
    data: unknown,
  ): void {
    const options = this.#options;
    const scheduler = options.scheduler;
    this.#timer.clear();
    this.#transport.write([response]);
    const base = basesOf(options);
    let connectionOptions = base.connection;
    if (extension !== undefined) {
      connectionOptions = layered(base.connection);
      connectionOptions.extension = extension;
    }
    const connection = new Connection(connectionOptions);
    const init = layered<SessionInit>(base.session);
    init.connection = connection;
    init.transport = this.#transport;
    init.scheduler = scheduler;
    init.protocol = protocol ?? '';
    init.extensions = extensionsHeader ?? '';
    if (this.#early.length > 0) init.head = concatBytes(this.#early);
    const session = new Session(init);
    if (data !== undefined) session.data = data;
    this.#early = [];
    this.#session = session;
    this.#state = 'upgraded';
    this.#reservation?.commit(session);
    this.#setPaused(false);
    this.#resolve({ type: 'accepted', session, request });
  }

  #internalError(request: UpgradeRequest, error: unknown): void {
    if (this.#state !== 'deciding') return;
    this.#refuse(500, rejectUpgrade(500), 'the accept hook failed', request, error);
  }

  /** Write an error response and end the transport. */
  #refuse(status: number, response: Uint8Array, reason: string, request: UpgradeRequest | undefined, error?: unknown): void {
    this.#finish();
    this.#transport.write([response]);
    this.#transport.end();
    const scheduler = this.#options.scheduler;
    this.#closeTimer ??= new TimerSlot(scheduler, () => this.#transport.destroy());
    this.#closeTimer.set(scheduler.now() + (this.#options.rejectCloseTimeout ?? 2000));
    this.#setPaused(false); // read until the client closes, so its FIN is seen
    this.#resolve({ type: 'rejected', status, reason, request, ...(error !== undefined ? { error } : {}) });
  }

  #timeout(): void {
    if (this.#state !== 'reading' && this.#state !== 'deciding') return;
    this.#fail('timeout');
  }

  #fail(reason: 'timeout' | 'eof', error?: unknown): void {
    this.#finish();
    this.#transport.destroy();
    this.#resolve({ type: 'failed', reason, request: this.#request, ...(error !== undefined ? { error } : {}) });
  }

  #finish(): void {
    this.#state = 'done';
    this.#timer.clear();
    this.#early = [];
    this.#reservation?.release();
  }

  #setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    if (paused) this.#transport.pause();
    else this.#transport.resume();
  }
}

/** One `now` function per scheduler, shared by its connections (not a closure per connection). */
const clocks = new WeakMap<Scheduler, () => number>();

function clockOf(scheduler: Scheduler): () => number {
  let now = clocks.get(scheduler);
  if (now === undefined) {
    now = () => scheduler.now();
    clocks.set(scheduler, now);
  }
  return now;
}

/**
 * A fresh object whose reads fall through to `shared`: the per-connection
 * fields go on it, the server-wide settings are not copied per connection
 * (a spread of them cost about 1.5 KB and a dictionary-mode object each).
 */
function layered<T extends object>(shared: object): T {
  return Object.create(shared) as T;
}

/** The connection and session settings of one options object, built once (a server shares its options). */
interface UpgradeBases {
  readonly connection: ConnectionOptions;
  readonly session: SessionOptions;
}

const bases = new WeakMap<ServerUpgradeOptions, UpgradeBases>();

/** Options made by {@link perConnectionOptions}: their settings are their prototype's. */
const connectionLayers = new WeakSet<ServerUpgradeOptions>();

/** The fields one connection may set over a server's shared options. */
export type PerConnectionFields = Pick<ServerUpgradeOptions, 'resolve' | 'accept' | 'initialBytes' | 'parsedRequest'>;

/**
 * `shared` with one connection's `fields` on top, without copying it: the
 * settings derived from `shared` (connection and session options) are
 * built once for all its connections instead of once per connection.
 */
export function perConnectionOptions(shared: ServerUpgradeOptions, fields: PerConnectionFields): ServerUpgradeOptions {
  const options = Object.assign(Object.create(shared) as ServerUpgradeOptions, fields);
  connectionLayers.add(options);
  return options;
}

function basesOf(given: ServerUpgradeOptions): UpgradeBases {
  // A per-connection layer sets none of the fields read here: its prototype's settings apply.
  const options = connectionLayers.has(given) ? (Object.getPrototypeOf(given) as ServerUpgradeOptions) : given;
  let found = bases.get(options);
  if (found === undefined) {
    found = {
      connection: { ...options.connection, role: 'server', now: clockOf(options.scheduler) },
      session: sessionOptions(options),
    };
    bases.set(options, found);
  }
  return found;
}

/**
 * Start a server upgrade on `transport`. See {@link ServerUpgrade}.
 *
 * @throws UsageError when `options.scheduler` is missing.
 */
export function acceptWebSocket(transport: Transport, options: ServerUpgradeOptions): ServerUpgrade {
  if (options === undefined || options.scheduler === undefined) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'acceptWebSocket needs options.scheduler');
  }
  return new ServerUpgrade(transport, options);
}
