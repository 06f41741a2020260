/**
 * The runtime-neutral half of every adapter's `WebSocketServer`: the
 * connection registry, the path filter, the accept hook with the adapter's
 * context, the upgrade options, the server events and the graceful close.
 * The adapter keeps only its listener and sockets: it turns each incoming
 * connection into a transport and hands it to {@link ServerCore.upgrade}.
 *
 * @module
 */
import type { UpgradeRequest } from '../protocol/handshake-server.js';
import { DEFAULT_SERVER_HEARTBEAT, ServerRegistry, type ShutdownOptions } from '../session/server-registry.js';
import type { Session } from '../session/session.js';
import { pakoCompressor } from '../protocol/deflate-pako.js';
import { isPromise } from '../protocol/extension.js';
import { defaultRandomSource } from '../protocol/random.js';
import type { Broker, BrokerListener } from '../session/broker.js';
import type { TopicDeflateOptions } from '../session/topic-deflate.js';
import type { PublishData, PublishOptions } from '../session/topic-registry.js';
import type { Transport, TransportSink } from '../session/transport.js';
import {
  acceptWebSocket,
  perConnectionOptions,
  type AcceptDecision,
  type ServerUpgrade,
  type ServerUpgradeOptions,
  type ServerUpgradeResult,
} from '../session/upgrade-server.js';
import type { ExtensionNegotiator, UpgradeOptions } from '../session/upgrade.js';
import {
  DEFAULT_ADAPTER_HANDSHAKE_TIMEOUT,
  deflateNegotiators,
  upgradeOptions,
  type AdapterAcceptHook,
  type AdapterRuntime,
  type ServerPolicyOptions,
} from './adapter-options.js';
import { RouteTable, type PathParams } from './route-pattern.js';
import { ServerCounters, type ServerMetrics } from './server-metrics.js';
import { serverRequest, type RemoteEndpoint, type ServerRequest } from './server-request.js';

/**
 * The shared topic compressor's settings: the same engine and zlib settings
 * as the server's connections, none when the server does not negotiate
 * permessage-deflate.
 */
function topicDeflateOptions<Context>(options: AnyPolicyOptions<Context>, runtime: AdapterRuntime): { topicDeflate?: TopicDeflateOptions } {
  const deflate = options.perMessageDeflate;
  if (deflate === undefined || deflate === false) return {};
  const settings = deflate === true ? {} : deflate;
  const compressor = settings.compressor ?? runtime.compressor?.() ?? pakoCompressor();
  return {
    topicDeflate: {
      compressor,
      ...(settings.level !== undefined ? { level: settings.level } : {}),
      ...(settings.memLevel !== undefined ? { memLevel: settings.memLevel } : {}),
      ...(settings.threshold !== undefined ? { threshold: settings.threshold } : {}),
    },
  };
}

const textEncoder = new TextEncoder();

const NO_PARAMS: PathParams = Object.freeze({});

/** The bytes of a publish's binary data (validated by the registry before). */
function bytesOf(data: Exclude<PublishData, string>): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** 16 random hex digits: tells this server's messages apart on a shared broker. */
function randomOrigin(): string {
  const bytes = new Uint8Array(8);
  defaultRandomSource(bytes);
  let id = '';
  for (const byte of bytes) id += byte.toString(16).padStart(2, '0');
  return id;
}

/** The address a server listens on (the fields of Node's `AddressInfo`). */
export interface ListenAddress {
  address: string;
  family: string;
  port: number;
}

/** A {@link ListenAddress} for a bound hostname and port. */
export function listenAddress(hostname: string, port: number): ListenAddress {
  return { address: hostname, family: hostname.includes(':') ? 'IPv6' : 'IPv4', port };
}

/**
 * Events of every adapter's `WebSocketServer` (an `EventEmitter` event map),
 * by listen-address type, per-connection data, route parameters and what
 * 'connection' hands out.
 */
export interface ServerEventMap<Address = ListenAddress, Data = unknown, Params = PathParams, Connection = Session<Data>> {
  /**
   * A client connected: `session.data` is what the accept hook attached, `request.params` its route's parameters.
   * With the server's `shape` option, the first argument is that shape over the session.
   */
  connection: [session: Connection, request: ServerRequest<Params>];
  /** The server listens. */
  listening: [address: Address];
  /** An upgrade was refused (status and why), for logging. */
  rejected: [status: number, reason: string];
  /** A server-level error (listen or accept failure). Connection errors go to each session's 'error'. */
  error: [error: Error];
  /** `close()` finished. */
  close: [];
}

/** Options of an adapter's `WebSocketServer.close()`. */
export interface ServerCloseOptions extends ShutdownOptions {
  /** Ms to wait for close handshakes after 1001 before destroying what is left. Default 5000. */
  timeout?: number;
  /** Close reason sent with 1001. */
  reason?: string;
}

/** Where {@link ServerCore} reports: the adapter forwards these to its server's events. */
export interface ServerCoreEvents {
  connection(session: Session, request: ServerRequest): void;
  rejected(status: number, reason: string): void;
  close(): void;
}

/** A transport an adapter can wire to a sink (the upgrade driver, then the session). */
export interface AttachableTransport extends Transport {
  attach(sink: TransportSink): void;
}

/** Per-connection details of {@link ServerCore.upgrade}. */
export interface ServerCoreUpgradeInit {
  /** Bytes already read from the connection (a sniffed first read). */
  initialBytes?: Uint8Array | undefined;
  /** A request head the runtime (or a sniffer) already parsed, and what followed it: validated, not parsed again. */
  parsedRequest?: ServerUpgradeOptions['parsedRequest'];
  /** Apply the `path` filter (404 on other paths). Default `true`; `false` when a router already matched. */
  filterPath?: boolean;
  /** The peer's address and port (`request.remoteAddress`, `request.remotePort`). */
  remote?: RemoteEndpoint | undefined;
  /** Called with the result before the server events are emitted (transport bookkeeping). */
  onResult?: (result: ServerUpgradeResult) => void;
}

/** What {@link ServerCore.close} runs around the registry's shutdown. */
export interface ServerCoreCloseSteps {
  /** Stop accepting, at once; a returned promise is awaited after the sessions closed. */
  stop?: () => Promise<void> | void;
  /** After the sessions closed and `stop` finished: release what the adapter still holds. */
  release?: () => Promise<void> | void;
}

/**
 * Server options typed for any `Data` and `path` pattern: the core passes
 * the hook's data through untouched and builds the parameters its routes name.
 */
export type AnyPolicyOptions<Context> = Omit<ServerPolicyOptions<Context>, 'accept' | 'path'> & {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Data and Params are the adapter's to type
  accept?: AdapterAcceptHook<Context, any, any> | undefined;
  path?: string | readonly string[] | undefined;
};

/**
 * The shared bookkeeping of an adapter's server (see the module comment).
 *
 * @example Inside an adapter's server
 * ```ts
 * this.#core = new ServerCore(options, { scheduler, compressor: zlibCompressor }, {
 *   connection: (session, request) => this.emit('connection', session, request),
 *   rejected: (status, reason) => this.emit('rejected', status, reason),
 *   close: () => this.emit('close'),
 * });
 * // per accepted socket:
 * this.#core.upgrade(new MyTransport(socket), { socket });
 * ```
 */
export class ServerCore<Context> {
  readonly #options: AnyPolicyOptions<Context>;
  readonly #events: ServerCoreEvents;
  readonly #registry: ServerRegistry;
  readonly #routes: RouteTable | undefined;
  readonly #counters = new ServerCounters();
  readonly #base: UpgradeOptions & { extensions: readonly ExtensionNegotiator[] };
  #closing: Promise<void> | undefined;
  #shared: ServerUpgradeOptions | undefined;
  readonly #broker: Broker | undefined;
  /** This server's name on the broker: what comes back with it was delivered here already. */
  readonly #origin: string;
  readonly #fromBroker: BrokerListener;

  /**
   * `options` may be typed for any `Data` and `path` pattern: the core only
   * passes data through and builds the parameters its routes name.
   * @throws TypeError for a malformed `path` pattern.
   */
  constructor(options: AnyPolicyOptions<Context>, runtime: AdapterRuntime, events: ServerCoreEvents) {
    this.#options = options;
    this.#events = events;
    // The server's heartbeat is one sweep in the registry, not a timer per connection.
    const { heartbeat, topicBackpressure, ...limits } = options;
    this.#registry = new ServerRegistry({
      scheduler: runtime.scheduler,
      heartbeat: heartbeat ?? DEFAULT_SERVER_HEARTBEAT,
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      ...(topicBackpressure !== undefined ? { topicBackpressure } : {}),
      ...topicDeflateOptions(this.#options, runtime),
      onClosed: this.#counters.closed,
    });
    this.#broker = options.broker;
    this.#origin = randomOrigin();
    this.#fromBroker = (message) => {
      if (message.origin === this.#origin) return;
      this.#registry.topics.publish(message.topic, message.data, { binary: message.binary, compress: message.compress });
    };
    const broker = this.#broker;
    if (broker !== undefined) {
      this.#registry.topics.watch((topic, active) =>
        this.#brokerCall(() => (active ? broker.subscribe(topic, this.#fromBroker) : broker.unsubscribe(topic, this.#fromBroker))),
      );
    }
    const path = options.path;
    this.#routes = path === undefined ? undefined : new RouteTable(path);
    // Negotiators and connection settings are computed once and shared by every connection.
    this.#base = {
      ...upgradeOptions(limits, runtime),
      handshakeTimeout: options.handshakeTimeout ?? DEFAULT_ADAPTER_HANDSHAKE_TIMEOUT,
      extensions: deflateNegotiators(options.perMessageDeflate, false, runtime),
    };
  }

  /** Open connections (a live, read-only set). */
  get clients(): ReadonlySet<Session> {
    return this.#registry.clients;
  }

  /** Number of open connections. */
  get size(): number {
    return this.#registry.size;
  }

  /** Handshakes in progress. */
  get pending(): number {
    return this.#registry.pending;
  }

  /** `close()` was called: new connections get 503. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** The handshake deadline in ms (also a good TLS-handshake deadline). */
  get handshakeTimeout(): number {
    return this.#base.handshakeTimeout ?? DEFAULT_ADAPTER_HANDSHAKE_TIMEOUT;
  }

  /**
   * Send `data` to every subscriber of `topic` (sessions that called
   * `subscribe(topic)`), framed once; see `TopicRegistry.publish`.
   * @returns how many subscribers it was queued for.
   */
  publish(topic: string, data: PublishData, options?: PublishOptions): number {
    const delivered = this.#registry.topics.publish(topic, data, options);
    this.#counters.published(delivered);
    const broker = this.#broker;
    if (broker !== undefined) {
      const binary = options?.binary ?? typeof data !== 'string';
      const bytes = typeof data === 'string' ? textEncoder.encode(data) : bytesOf(data);
      const message = { topic, data: bytes, binary, compress: options?.compress === true, origin: this.#origin };
      this.#brokerCall(() => broker.publish(message));
    }
    return delivered;
  }

  /**
   * Send several messages, in order, to every subscriber of `topic`: the
   * bytes `messages.length` {@link ServerCore.publish} calls would write,
   * but framed once into one buffer and written to each subscriber at once;
   * see `TopicRegistry.publishBatch`. A broker gets them one by one.
   * @returns how many messages were queued, summed over subscribers.
   */
  publishBatch(topic: string, messages: readonly PublishData[], options?: PublishOptions): number {
    const delivered = this.#registry.topics.publishBatch(topic, messages, options);
    this.#counters.published(delivered);
    const broker = this.#broker;
    if (broker !== undefined) {
      for (const data of messages) {
        const binary = options?.binary ?? typeof data !== 'string';
        const bytes = typeof data === 'string' ? textEncoder.encode(data) : bytesOf(data);
        const message = { topic, data: bytes, binary, compress: options?.compress === true, origin: this.#origin };
        this.#brokerCall(() => broker.publish(message));
      }
    }
    return delivered;
  }

  /** Runs one broker call; its failure (thrown or rejected) goes to `onBrokerError`, never to the caller. */
  #brokerCall(call: () => void | Promise<void>): void {
    const report = (error: unknown): void => {
      try {
        this.#options.onBrokerError?.(error instanceof Error ? error : new Error(String(error)));
      } catch {
        // A failing error handler must not break publishing either.
      }
    };
    try {
      const result = call();
      if (isPromise(result)) result.then(undefined, report);
    } catch (error) {
      report(error);
    }
  }

  /** How many sessions subscribe to `topic`. */
  subscriberCount(topic: string): number {
    return this.#registry.topics.subscriberCount(topic);
  }

  /** Topics with at least one subscriber (a snapshot). */
  get topics(): string[] {
    return this.#registry.topics.topics;
  }

  /** Whether `pathname` is one this server takes (every path when `path` was not given). */
  matches(pathname: string): boolean {
    return this.#routes === undefined || this.#routes.match(pathname) !== undefined;
  }

  /** The server's counters now (see {@link ServerMetrics}). */
  metrics(): ServerMetrics {
    return this.#counters.snapshot(this.#registry.clients, this.#registry.pending);
  }

  /** Count a refusal the adapter answered itself (426 for a plain request without `fetch`) and emit `rejected`. */
  refused(status: number, reason: string): void {
    this.#counters.refused(status, reason);
    this.#events.rejected(status, reason);
  }

  /**
   * Run the opening handshake (RFC 6455 §4.2) on a new connection's transport:
   * path filter, accept hook with `context`, registry, extensions and limits.
   * Emits `connection` or `rejected` when it settles.
   */
  upgrade(transport: AttachableTransport, context: Context, init: ServerCoreUpgradeInit = {}): ServerUpgrade {
    const hook = this.#options.accept;
    const routes = this.#routes;
    const filter = init.filterPath !== false && routes !== undefined;
    const remote = init.remote;
    const protocols = this.#options.protocols;
    // Without an accept hook, a path pattern or early bytes every connection
    // shares one options object (and the settings the driver derives from it);
    // its request gets its peer and `{}` params once accepted.
    const shared = hook === undefined && routes === undefined && init.initialBytes === undefined && init.parsedRequest === undefined;
    const sharedOptions = (this.#shared ??= this.#sharedOptions());
    // Otherwise the connection's own fields are layered over the shared options (nothing copied).
    const upgrade = acceptWebSocket(transport, shared ? sharedOptions : perConnectionOptions(sharedOptions, {
      resolve: (request: UpgradeRequest): UpgradeRequest | undefined => {
        // A router that already chose this server may still need the parameters.
        const params = routes === undefined ? NO_PARAMS : routes.match(request.path);
        if (params === undefined && filter) return undefined; // 404
        return serverRequest(request, params ?? NO_PARAMS, remote);
      },
      ...(hook !== undefined
        ? { accept: (request: UpgradeRequest): AcceptDecision | Promise<AcceptDecision> => hook(request as ServerRequest, context) }
        : {}),
      ...(init.initialBytes !== undefined ? { initialBytes: init.initialBytes } : {}),
      ...(init.parsedRequest !== undefined ? { parsedRequest: init.parsedRequest } : {}),
    }));
    transport.attach(upgrade);
    void upgrade.result.then((result) => {
      // The session takes the transport over from the upgrade driver, so the
      // driver (its parser, request and timers) can be collected while the
      // connection idles.
      if (result.type === 'accepted') transport.attach(result.session);
      init.onResult?.(result);
      if (result.type === 'accepted') {
        this.#counters.accepted();
        const request = shared ? serverRequest(result.request, NO_PARAMS, remote) : (result.request as ServerRequest);
        this.#events.connection(result.session, request);
      } else if (result.type === 'rejected') this.refused(result.status, result.reason);
    });
    return upgrade;
  }

  #sharedOptions(): ServerUpgradeOptions {
    const protocols = this.#options.protocols;
    return { ...this.#base, registry: this.#registry, ...(protocols !== undefined ? { protocols } : {}) };
  }

  /**
   * Graceful shutdown, once (later calls return the same promise): `stop`
   * accepting, send 1001 to every open connection, wait up to `timeout` for
   * their close handshakes (RFC 6455 §7.1.2) then destroy what is left,
   * `release` the adapter's leftovers, emit `close`.
   */
  close(options: ServerCloseOptions = {}, steps: ServerCoreCloseSteps = {}): Promise<void> {
    this.#closing ??= (async () => {
      const stopped = steps.stop?.();
      await this.#registry.shutdown(options);
      this.#registry.topics.dispose();
      await stopped;
      await steps.release?.();
      this.#events.close();
    })();
    return this.#closing;
  }
}
