import type { Scheduler } from './scheduler.js';
import { attachTopics, heartbeatBeat, onSessionClosed, type Session } from './session.js';
import type { TopicDeflateOptions } from './topic-deflate.js';
import { TopicRegistry, type TopicBackpressure } from './topic-registry.js';

/** Options of a {@link ServerRegistry}. */
export interface ServerRegistryOptions {
  /** For the shutdown timeout. */
  scheduler: Scheduler;
  /**
   * Most sessions (open ones plus handshakes in progress) at once; upgrades
   * beyond it are refused with 503 before any upgrade. Default: no limit.
   */
  maxConnections?: number;
  /**
   * Ping peers that were silent for `interval` ms and terminate (1006) those
   * that stay silent `timeout` ms longer. One sweep over every session each
   * `interval` ms, no timer per connection: a peer is pinged after between 1
   * and 2 intervals of silence and dropped after missing
   * `ceil(timeout / interval)` pings in a row. Off when omitted or `false`.
   */
  heartbeat?: HeartbeatOptions | false | undefined;
  /** What a publish does with a subscriber that is not reading (see {@link TopicBackpressure}). Default: close with 1008 at 4 MiB. */
  topicBackpressure?: TopicBackpressure | undefined;
  /** The DEFLATE engine and settings for compressing a topic message once per publish (`publish(…, { compress: true })`). */
  topicDeflate?: TopicDeflateOptions | undefined;
  /** Called once for each registered session as it closes (its `closeInfo` is set): a server's metrics. */
  onClosed?: ((session: Session) => void) | undefined;
}

/** A server's heartbeat: see {@link ServerRegistryOptions.heartbeat}. */
export interface HeartbeatOptions {
  /** Ms of silence before a ping (and between sweeps). */
  interval: number;
  /** Ms more without an answer before the peer is dead. */
  timeout: number;
}

/** The heartbeat servers run unless told otherwise: ping at 30 s of silence, dead after 2 missed pongs. */
export const DEFAULT_SERVER_HEARTBEAT: HeartbeatOptions = Object.freeze({ interval: 30_000, timeout: 60_000 });

/** Options of {@link ServerRegistry.shutdown}. */
export interface ShutdownOptions {
  /** How long to wait for close handshakes before terminating what is left (ms). Default 5000. */
  timeout?: number;
  /** Close reason sent with 1001. Default 'server shutting down'. */
  reason?: string;
}

/** A slot held for one handshake in progress; see {@link ServerRegistry.reserve}. */
export interface Reservation {
  /** The handshake succeeded: the slot now belongs to `session`. */
  commit(session: Session): void;
  /** The handshake failed: give the slot back. Idempotent; ignored after commit. */
  release(): void;
}

/**
 * The set of sessions a server keeps: the count, a cap on connections, the
 * iteration over clients and graceful shutdown. Shared by every adapter; the
 * adapter only stops listening.
 *
 * Slots are reserved when a handshake starts ({@link ServerRegistry.reserve})
 * so that concurrent handshakes cannot exceed `maxConnections`; the upgrade
 * driver does this for you when given the registry.
 *
 * @example
 * ```ts
 * const registry = new ServerRegistry({ scheduler, maxConnections: 10_000 });
 * // per upgrade: acceptWebSocket(transport, { scheduler, registry, ... })
 * for (const client of registry) client.send('tick');
 * process.on('SIGTERM', async () => { server.close(); await registry.shutdown({ timeout: 3000 }); });
 * ```
 */
export class ServerRegistry implements Iterable<Session> {
  readonly #scheduler: Scheduler;
  readonly #max: number;
  readonly #sessions = new Set<Session>();
  #reserved = 0;
  #shuttingDown: Promise<void> | undefined;
  #shutdownReason = 'server shutting down';
  /** Resolvers waiting for the next change (a session left, a reservation ended). */
  #changeWaiters: (() => void)[] = [];
  readonly #heartbeat: HeartbeatOptions | undefined;
  readonly #maxMissed: number;
  /** The server's topics: every session added here can subscribe. */
  readonly topics: TopicRegistry;
  #sweepTimer: unknown;
  #sweeping = false;
  /** One function for every session: a registered idle session costs a set entry, no closure. */
  readonly #sessionClosed = (session: Session): void => {
    this.#sessions.delete(session);
    this.#onClosed?.(session);
    // No session, no timer: an idle server does not hold the process open.
    if (this.#sessions.size === 0) this.#stopSweep();
    this.#notify();
  };

  readonly #onClosed: ((session: Session) => void) | undefined;

  constructor(options: ServerRegistryOptions) {
    this.#scheduler = options.scheduler;
    this.#onClosed = options.onClosed;
    this.#max = options.maxConnections ?? Number.POSITIVE_INFINITY;
    this.topics = new TopicRegistry(options.topicBackpressure, options.topicDeflate);
    const heartbeat = options.heartbeat;
    this.#heartbeat = heartbeat === false || heartbeat === undefined || heartbeat.interval <= 0 ? undefined : heartbeat;
    this.#maxMissed = this.#heartbeat === undefined ? 0 : Math.max(1, Math.ceil(this.#heartbeat.timeout / this.#heartbeat.interval));
  }

  /** Sessions registered and not yet closed. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Handshakes in progress holding a slot. */
  get pending(): number {
    return this.#reserved;
  }

  /** Is there no free slot (or is the server shutting down)? */
  get full(): boolean {
    return this.#shuttingDown !== undefined || this.#sessions.size + this.#reserved >= this.#max;
  }

  /** Has {@link ServerRegistry.shutdown} been called? */
  get closing(): boolean {
    return this.#shuttingDown !== undefined;
  }

  /** The open sessions, in the order they were added. */
  [Symbol.iterator](): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** The open sessions (a live, read-only view). */
  get clients(): ReadonlySet<Session> {
    return this.#sessions;
  }

  /**
   * Hold a slot for a handshake that is starting. Returns `undefined` when
   * the registry is full or shutting down: answer 503 without upgrading.
   */
  reserve(): Reservation | undefined {
    if (this.full) return undefined;
    this.#reserved++;
    let state: 'held' | 'done' = 'held';
    return {
      commit: (session) => {
        if (state !== 'held') return;
        state = 'done';
        this.#reserved--;
        this.add(session);
        this.#notify();
      },
      release: () => {
        if (state !== 'held') return;
        state = 'done';
        this.#reserved--;
        this.#notify();
      },
    };
  }

  /**
   * Register a session (without a reservation; does not check the limit).
   * It leaves the set when it closes. Added during shutdown, it is sent 1001
   * at once.
   */
  add(session: Session): void {
    if (this.#sessions.has(session) || session.readyState === 3) return;
    this.#sessions.add(session);
    session[onSessionClosed](this.#sessionClosed);
    session[attachTopics](this.topics);
    if (this.#shuttingDown !== undefined) session.goingAway(this.#shutdownReason);
    else this.#armSweep();
  }

  #stopSweep(): void {
    if (!this.#sweeping) return;
    this.#sweeping = false;
    this.#scheduler.clearTimer(this.#sweepTimer);
  }

  /** One timer for the whole server, armed while it has sessions. */
  #armSweep(): void {
    const heartbeat = this.#heartbeat;
    if (heartbeat === undefined || this.#sweeping) return;
    this.#sweeping = true;
    this.#sweepTimer = this.#scheduler.setTimer(() => {
      this.#sweeping = false;
      if (this.#shuttingDown !== undefined) return;
      for (const session of this.#sessions) session[heartbeatBeat](this.#maxMissed);
      if (this.#sessions.size > 0) this.#armSweep();
    }, heartbeat.interval);
  }

  /**
   * Send `data` to every open session (skipping closing ones).
   * @returns how many sessions it was sent to
   */
  broadcast(data: string | Uint8Array, options: { binary?: boolean } = {}): number {
    let count = 0;
    for (const session of this.#sessions) {
      if (session.readyState !== 1) continue;
      session.send(data, options);
      count++;
    }
    return count;
  }

  /**
   * Graceful shutdown: refuse new handshakes (stopping the listener is the
   * adapter's job), send 1001 Going Away to every open session and to those
   * whose handshake was in progress, wait for their close handshakes up to
   * `timeout`, then terminate what is left. Resolves when every session is
   * closed. Calling it again returns the same promise.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (this.#shuttingDown !== undefined) return this.#shuttingDown;
    this.#shutdownReason = options.reason ?? this.#shutdownReason;
    const timeout = options.timeout ?? 5000;
    this.#stopSweep();
    const done = (async () => {
      for (const session of this.#sessions) session.goingAway(this.#shutdownReason);
      let timer: unknown;
      let timedOut = false;
      const deadline = new Promise<void>((resolve) => {
        timer = this.#scheduler.setTimer(() => {
          timedOut = true;
          resolve();
        }, timeout);
      });
      // Handshakes in progress are waited for until the deadline; sessions always.
      while (this.#sessions.size > 0 || (!timedOut && this.#reserved > 0)) {
        if (timedOut) for (const session of this.#sessions) session.terminate();
        await Promise.race([this.#changed(), deadline]);
      }
      if (!timedOut) this.#scheduler.clearTimer(timer);
    })();
    this.#shuttingDown = done;
    return done;
  }

  #changed(): Promise<void> {
    return new Promise((resolve) => this.#changeWaiters.push(resolve));
  }

  #notify(): void {
    const waiters = this.#changeWaiters;
    this.#changeWaiters = [];
    for (const w of waiters) w();
  }
}
