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
  reject,
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
  type AdapterRuntime,
  type ServerPolicyOptions,
} from './adapter-options.js';

/**
 * The shared topic compressor's settings: the same engine and zlib settings
 * as the server's connections, none when the server does not negotiate
 * permessage-deflate.
 */
function topicDeflateOptions<Context>(options: ServerPolicyOptions<Context>, runtime: AdapterRuntime): { topicDeflate?: TopicDeflateOptions } {
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

/** Events of every adapter's `WebSocketServer` (an `EventEmitter` event map), by listen-address type. */
export interface ServerEventMap<Address = ListenAddress, Connection = Session> {
  /** A client connected: its Session, or the shape the server's `shape` option asks for. */
  connection: [session: Connection, request: UpgradeRequest];
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
  connection(session: Session, request: UpgradeRequest): void;
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
  readonly #options: ServerPolicyOptions<Context>;
  readonly #events: ServerCoreEvents;
  readonly #registry: ServerRegistry;
  readonly #paths: ReadonlySet<string> | undefined;
  readonly #base: UpgradeOptions & { extensions: readonly ExtensionNegotiator[] };
  #closing: Promise<void> | undefined;
  #shared: ServerUpgradeOptions | undefined;
  readonly #broker: Broker | undefined;
  /** This server's name on the broker: what comes back with it was delivered here already. */
  readonly #origin: string;
  readonly #fromBroker: BrokerListener;

  constructor(options: ServerPolicyOptions<Context>, runtime: AdapterRuntime, events: ServerCoreEvents) {
    this.#options = options;
    this.#events = events;
    // The server's heartbeat is one sweep in the registry, not a timer per connection.
    const { heartbeat, topicBackpressure, ...limits } = options;
    this.#registry = new ServerRegistry({
      scheduler: runtime.scheduler,
      heartbeat: heartbeat ?? DEFAULT_SERVER_HEARTBEAT,
      ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
      ...(topicBackpressure !== undefined ? { topicBackpressure } : {}),
      ...topicDeflateOptions(options, runtime),
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
    this.#paths = path === undefined ? undefined : new Set(typeof path === 'string' ? [path] : path);
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
    const broker = this.#broker;
    if (broker !== undefined) {
      const binary = options?.binary ?? typeof data !== 'string';
      const bytes = typeof data === 'string' ? textEncoder.encode(data) : bytesOf(data);
      const message = { topic, data: bytes, binary, compress: options?.compress === true, origin: this.#origin };
      this.#brokerCall(() => broker.publish(message));
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
    return this.#paths === undefined || this.#paths.has(pathname);
  }

  /**
   * Run the opening handshake (RFC 6455 §4.2) on a new connection's transport:
   * path filter, accept hook with `context`, registry, extensions and limits.
   * Emits `connection` or `rejected` when it settles.
   */
  upgrade(transport: AttachableTransport, context: Context, init: ServerCoreUpgradeInit = {}): ServerUpgrade {
    const hook = this.#options.accept;
    const paths = init.filterPath === false ? undefined : this.#paths;
    const protocols = this.#options.protocols;
    // Without an accept hook, a path filter or early bytes every connection
    // shares one options object (and the settings the driver derives from it).
    const shared = hook === undefined && paths === undefined && init.initialBytes === undefined && init.parsedRequest === undefined;
    const upgrade = acceptWebSocket(transport, shared ? (this.#shared ??= this.#sharedOptions()) : {
      ...this.#base,
      registry: this.#registry,
      ...(protocols !== undefined ? { protocols } : {}),
      ...(paths !== undefined || hook !== undefined
        ? {
            accept: (request: UpgradeRequest): AcceptDecision | Promise<AcceptDecision> => {
              if (paths !== undefined && !paths.has(request.path)) return reject(404);
              return hook === undefined ? { type: 'accept' } : hook(request, context);
            },
          }
        : {}),
      ...(init.initialBytes !== undefined ? { initialBytes: init.initialBytes } : {}),
      ...(init.parsedRequest !== undefined ? { parsedRequest: init.parsedRequest } : {}),
    });
    transport.attach(upgrade);
    void upgrade.result.then((result) => {
      // The session takes the transport over from the upgrade driver, so the
      // driver (its parser, request and timers) can be collected while the
      // connection idles.
      if (result.type === 'accepted') transport.attach(result.session);
      init.onResult?.(result);
      if (result.type === 'accepted') this.#events.connection(result.session, result.request);
      else if (result.type === 'rejected') this.#events.rejected(result.status, result.reason);
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
