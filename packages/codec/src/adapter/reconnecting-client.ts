/**
 * A WebSocket client that stays connected: it reconnects with exponential
 * backoff and full jitter, counts missed pongs to notice a dead peer, keeps
 * a bounded queue of sends while offline, re-runs the application's
 * subscribe step on every connect and, on the `framewire.v1` hub protocol,
 * resumes a topic from the last id it delivered. Runtime-neutral: the
 * adapter injects its `connect()` and its {@link Scheduler}, so the codec
 * starts no timer of its own.
 *
 * @module
 */
import { UsageError } from '../protocol/errors.js';
import { ConnectError } from '../session/connect-errors.js';
import { TimerSlot, type Scheduler } from '../session/scheduler.js';
import { TypedEmitter } from '../session/session-emitter.js';
import type { SessionMessage } from '../session/session-inbox.js';
import type { CloseInfo, Session } from '../session/session.js';
import { backoffDelay, backoffSettings, type BackoffOptions, type BackoffSettings } from './reconnect-backoff.js';
import { isRetried, retryAfterMs, type OfflineReason } from './reconnect-policy.js';
import { SendQueue, type SendQueueOptions } from './reconnect-queue.js';
import { HUB_PROTOCOL, decodeHubEnvelope, withSince, type HubMessage } from './reconnect-resume.js';
import { AttemptAbort } from './reconnect-signal.js';

/** Where the client is: connecting (an attempt in flight), online, waiting out a backoff delay, closing, or closed for good. */
export type ReconnectState = 'connecting' | 'online' | 'waiting' | 'closing' | 'closed';

/** What the `onOpen` hook and the `online` event get. */
export interface OnlineInfo {
  /** The open connection (valid until the next `offline`). */
  readonly session: Session;
  /** The URL this connection was opened with (with `since` in resume mode). */
  readonly url: string;
  /** 0 for the first connection, then counts every later (re)connection. */
  readonly connection: number;
}

/** What the `reconnecting` event gets. */
export interface ReconnectingInfo {
  /** 1 for the first retry after a stable connection or the start, then 2, 3… */
  readonly attempt: number;
  /** The wait before it, ms. */
  readonly delay: number;
  /** The failure that caused it. */
  readonly reason: OfflineReason;
}

/** Why the client ended (the `close` event and {@link ReconnectingClient.closed}). */
export interface ReconnectCloseInfo {
  /**
   * `'closed'`: the application called `close()`. `'final'`: a failure the
   * retry table (or `shouldReconnect`) does not retry. `'attempts-exhausted'`:
   * `maxAttempts` retries in a row failed.
   */
  readonly cause: 'closed' | 'final' | 'attempts-exhausted';
  /** The last failure, when one ended the client. */
  readonly last?: OfflineReason;
}

/** Listener signatures of a {@link ReconnectingClient}. */
export interface ReconnectEvents<M> {
  /** A connection is open, the `onOpen` hook ran and the offline queue was flushed. */
  online: (info: OnlineInfo) => void;
  /** The open connection ended (emitted once after every `online`). */
  offline: (reason: OfflineReason) => void;
  /** A message: the session's data (or a decoded {@link HubMessage} in resume mode) and whether it is binary. */
  message: (data: M, isBinary: boolean) => void;
  /** A retry is scheduled after `delay` ms. */
  reconnecting: (info: ReconnectingInfo) => void;
  /** The client ended for good; emitted once. */
  close: (info: ReconnectCloseInfo) => void;
  /** A failed connect attempt, a session error, a bad hub envelope or an `onOpen` hook that threw. */
  error: (error: Error) => void;
}

/** Options of the reconnecting client, beside the adapter's connect options. */
export interface ReconnectOptions extends BackoffOptions, SendQueueOptions {
  /** Ping every this many ms while online; 0 turns the heartbeat off. Default 15 000. */
  pingInterval?: number;
  /** Pings in a row without a pong after which the connection is deemed dead (dropped as 1006). Default 2. */
  maxMissedPongs?: number;
  /**
   * Runs on every (re)connect, before the offline queue is flushed and
   * before `online`: re-send subscribe messages here with `info.session.send`.
   * A returned promise is awaited (sends made meanwhile are queued; one that
   * never settles holds the client in `'connecting'`); what it throws is
   * reported on `error` and the client carries on.
   */
  onOpen?: (info: OnlineInfo) => unknown;
  /** Override the retry table: `retried` is the table's answer; return whether to reconnect. */
  shouldReconnect?: (reason: OfflineReason, retried: boolean) => boolean;
  /**
   * `'framewire.v1'`: speak the hub's envelope protocol (offered as a
   * subprotocol; a server that does not choose it is a final failure),
   * deliver decoded {@link HubMessage}s, remember the last id delivered and
   * reconnect with `?since=<last id>`.
   */
  resume?: typeof HUB_PROTOCOL;
  /** Resume mode: start after this id (as if it had been delivered). */
  since?: string;
  /** Random numbers in [0, 1) for the jitter. Default `Math.random`. */
  random?: () => number;
  /** Where exceptions thrown by listeners go. Default: rethrown asynchronously (an unhandled rejection). */
  onListenerError?: (error: unknown, event: keyof ReconnectEvents<unknown>) => void;
}

/** The option names {@link ReconnectingClient} keeps; every other option goes to `connect`. */
const OWN_OPTIONS: ReadonlySet<string> = new Set([
  'initialDelay', 'factor', 'maxDelay', 'maxAttempts', 'stableAfter', 'maxQueuedMessages', 'maxQueuedBytes', 'pingInterval',
  'maxMissedPongs', 'onOpen', 'shouldReconnect', 'resume', 'since', 'random', 'onListenerError',
]);

/** The defaults of the heartbeat. */
export const DEFAULT_RECONNECT_HEARTBEAT = Object.freeze({ pingInterval: 15_000, maxMissedPongs: 2 });

/** What an adapter injects into a {@link ReconnectingClient}. */
export interface ReconnectRuntime<C> {
  /** The adapter's `connect()`; `options.signal` is the client's own, fired by `close()`. */
  connect(url: string, options: C): Promise<Session>;
  /** The adapter's timers and clock. */
  scheduler: Scheduler;
}

/**
 * A client that reconnects. Adapters bind it to their `connect()` and
 * scheduler and export it as `reconnect(url, options)`; the client starts
 * connecting at once.
 *
 * @example
 * ```ts
 * const client = reconnect('ws://127.0.0.1:8080/chat', { onOpen: ({ session }) => { session.send('join'); } });
 * client.on('online', () => console.log('online'));
 * client.on('offline', (reason) => console.log('offline', reason.kind));
 * client.on('message', (data) => console.log(data));
 * client.send('queued while offline, sent in order when online');
 * ```
 */
export class ReconnectingClient<M = SessionMessage, C extends object = object>
  extends TypedEmitter<ReconnectEvents<M>>
  implements AsyncIterable<M>
{
  readonly #runtime: ReconnectRuntime<C>;
  readonly #href: string;
  readonly #connectOptions: C;
  readonly #backoff: BackoffSettings;
  readonly #queue: SendQueue;
  readonly #options: ReconnectOptions;
  readonly #pingInterval: number;
  readonly #maxMissedPongs: number;
  readonly #retryTimer: TimerSlot;
  readonly #pingTimer: TimerSlot;
  #state: ReconnectState = 'connecting';
  #session: Session | undefined;
  #abort: AttemptAbort | undefined;
  /** Retries in a row since the start or the last stable connection. */
  #attempts = 0;
  #connections = 0;
  #onlineSince = 0;
  /** Between `online` and the matching `offline` (also while closing). */
  #wasOnline = false;
  #awaitingPong = false;
  #missed = 0;
  #heartbeatLost = false;
  #lastId: string | undefined;
  #finalError: Error | undefined;
  #resolveClosed!: (info: ReconnectCloseInfo) => void;
  readonly #closed: Promise<ReconnectCloseInfo>;
  readonly #iterators = new Set<MessageIterator<M>>();

  /**
   * @param url a ws:// or wss:// URL (a bad one is a final failure, reported on `close`)
   * @param options reconnect options and the adapter's connect options, in one object
   * @param runtime the adapter's connect and scheduler
   * @throws UsageError for an option out of range
   */
  constructor(url: string | { readonly href: string }, options: ReconnectOptions & C, runtime: ReconnectRuntime<C>) {
    super();
    this.#runtime = runtime;
    this.#href = typeof url === 'string' ? url : url.href;
    this.#options = options;
    this.#backoff = backoffSettings(options);
    this.#queue = new SendQueue(options);
    this.#pingInterval = nonNegative('pingInterval', options.pingInterval ?? DEFAULT_RECONNECT_HEARTBEAT.pingInterval);
    this.#maxMissedPongs = Math.max(1, nonNegative('maxMissedPongs', options.maxMissedPongs ?? DEFAULT_RECONNECT_HEARTBEAT.maxMissedPongs));
    this.#lastId = options.since;
    const connectOptions: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options)) if (!OWN_OPTIONS.has(key)) connectOptions[key] = value;
    if (options.resume === HUB_PROTOCOL) {
      const offered = (connectOptions['protocols'] as readonly string[] | undefined) ?? [];
      connectOptions['protocols'] = offered.includes(HUB_PROTOCOL) ? offered : [HUB_PROTOCOL, ...offered];
    } else if (options.resume !== undefined) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', `reconnect option resume must be '${HUB_PROTOCOL}'`);
    }
    this.#connectOptions = connectOptions as C;
    this.#retryTimer = new TimerSlot(runtime.scheduler, () => void this.#connect());
    this.#pingTimer = new TimerSlot(runtime.scheduler, () => this.#beat());
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    void this.#connect();
  }

  /** Where the client is now. */
  get state(): ReconnectState {
    return this.#state;
  }

  /** Is a connection open (state `'online'`)? */
  get online(): boolean {
    return this.#state === 'online';
  }

  /** The open session while online, else `undefined`. */
  get session(): Session | undefined {
    return this.#state === 'online' ? this.#session : undefined;
  }

  /** Messages waiting in the offline queue. */
  get queuedMessages(): number {
    return this.#queue.length;
  }

  /** UTF-8 bytes waiting in the offline queue. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /** Resume mode: the id of the last message delivered (or the `since` option), sent as `since` on reconnect. */
  get lastId(): string | undefined {
    return this.#lastId;
  }

  /** Resolves once the client ended for good (the `close` event's info). */
  get closed(): Promise<ReconnectCloseInfo> {
    return this.#closed;
  }

  /**
   * Send now when online; otherwise keep the message in the offline queue,
   * sent in order right after the next `onOpen` hook.
   *
   * @returns `true` when sent or queued; `false` when offline and the queue
   *   is full (`maxQueuedMessages` / `maxQueuedBytes`): the message was NOT
   *   kept. Online, `true` even when the session asks the sender to slow
   *   down (watch `session.bufferedAmount`).
   * @throws UsageError `FW_ERR_CLOSED` after `close()`.
   */
  send(data: string | Uint8Array, options: { binary?: boolean } = {}): boolean {
    if (this.#state === 'closing' || this.#state === 'closed') throw new UsageError('FW_ERR_CLOSED', 'send() after the reconnecting client was closed');
    const session = this.#session;
    if (this.#state === 'online' && session !== undefined) {
      try {
        session.send(data, options);
        return true;
      } catch {
        // The session is closing: its close event follows; keep the message for the next connection.
      }
    }
    return this.#queue.push(data, options.binary);
  }

  /**
   * Stop for good: cancel any backoff timer, the heartbeat and an attempt
   * in flight, drop the offline queue, and close an open connection with
   * `code` (1000 or 3000–4999) and `reason`. `close` follows once the
   * connection has closed (at once when there is none). Idempotent.
   */
  close(code = 1000, reason = ''): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#retryTimer.clear();
    this.#pingTimer.clear();
    this.#queue.clear();
    this.#abort?.abort(new UsageError('FW_ERR_CLOSED', 'the reconnecting client was closed'));
    this.#abort = undefined;
    const session = this.#session;
    if (session === undefined) {
      this.#finish({ cause: 'closed' });
      return;
    }
    this.#state = 'closing';
    session.close(code, reason); // its close event finishes the client
  }

  /**
   * The messages as an async iterator, from now on; it ends when the client
   * closes. It holds at most 1 000 undelivered messages: past that it
   * fails with an error rather than grow without bound.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<M, undefined> {
    const iterator = new MessageIterator<M>(1000, () => this.#iterators.delete(iterator));
    if (this.#state === 'closed') iterator.end();
    else this.#iterators.add(iterator);
    return iterator;
  }

  protected override reportListenerError(error: unknown, event: keyof ReconnectEvents<M>): void {
    const hook = this.#options.onListenerError;
    if (hook === undefined) {
      void Promise.reject(error); // the application's bug surfaces outside our call stack, as in Session
      return;
    }
    try {
      hook(error, event);
    } catch (inner) {
      void Promise.reject(inner);
    }
  }

  // ---- connecting ---------------------------------------------------------

  async #connect(): Promise<void> {
    this.#state = 'connecting';
    const abort = new AttemptAbort();
    this.#abort = abort;
    const url = this.#options.resume !== undefined && this.#lastId !== undefined ? withSince(this.#href, this.#lastId) : this.#href;
    let session: Session;
    try {
      session = await this.#runtime.connect(url, { ...this.#connectOptions, signal: abort });
    } catch (error) {
      if (abort.aborted) return; // close() already finished the client
      this.#abort = undefined;
      const failure = error instanceof Error ? error : new Error(String(error));
      this.emit('error', [failure]);
      this.#failed({ kind: 'connect-error', error: failure }, false);
      return;
    }
    if (abort.aborted) {
      session.close(1000, 'client closed');
      return;
    }
    this.#abort = undefined;
    if (this.#options.resume !== undefined && session.protocol !== HUB_PROTOCOL) {
      session.close(1000, `${HUB_PROTOCOL} not negotiated`);
      const error = new ConnectError('FW_ERR_HANDSHAKE_INVALID', `${url}: the server did not choose subprotocol ${HUB_PROTOCOL}`);
      this.emit('error', [error]);
      this.#failed({ kind: 'connect-error', error }, false);
      return;
    }
    this.#session = session;
    this.#heartbeatLost = false;
    session.on('message', (data, isBinary) => this.#deliver(session, data, isBinary));
    session.on('pong', () => {
      this.#awaitingPong = false;
      this.#missed = 0;
    });
    session.on('error', (error) => this.emit('error', [error]));
    session.on('close', (info) => this.#sessionClosed(session, info));
    const info: OnlineInfo = { session, url, connection: this.#connections++ };
    if (this.#options.onOpen !== undefined) {
      try {
        await this.#options.onOpen(info);
      } catch (error) {
        this.emit('error', [error instanceof Error ? error : new Error(String(error))]);
      }
      if (this.#session !== session || this.#state !== 'connecting') return; // closed during the hook
    }
    this.#flush(session);
    this.#state = 'online';
    this.#wasOnline = true;
    this.#onlineSince = this.#runtime.scheduler.now();
    this.#awaitingPong = false;
    this.#missed = 0;
    if (this.#pingInterval > 0) this.#pingTimer.set(this.#onlineSince + this.#pingInterval);
    this.emit('online', [info]);
  }

  /** Send the offline queue in order; what cannot be sent stays queued, first. */
  #flush(session: Session): void {
    const items = this.#queue.takeAll();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      try {
        session.send(item.data, item.binary === undefined ? {} : { binary: item.binary });
      } catch {
        this.#queue.restore(items.slice(i));
        return;
      }
    }
  }

  #deliver(session: Session, data: SessionMessage, isBinary: boolean): void {
    if (session !== this.#session) return;
    let message: M;
    if (this.#options.resume !== undefined) {
      let decoded: HubMessage;
      try {
        decoded = decodeHubEnvelope(isBinary ? undefined : data);
      } catch (error) {
        // A server that breaks the envelope would break it again: final, 1007 (invalid payload).
        this.#finalError = error as Error;
        this.emit('error', [error as Error]);
        session.closeWithLibraryCode(1007, 'malformed framewire.v1 delivery');
        return;
      }
      this.#lastId = decoded.id;
      message = decoded as M;
      isBinary = typeof decoded.data !== 'string';
    } else {
      message = data as M;
    }
    this.emit('message', [message, isBinary]);
    for (const iterator of this.#iterators) iterator.push(message);
  }

  // ---- heartbeat ----------------------------------------------------------

  #beat(): void {
    const session = this.#session;
    if (this.#state !== 'online' || session === undefined) return;
    if (this.#awaitingPong) {
      this.#missed++;
      if (this.#missed >= this.#maxMissedPongs) {
        this.#heartbeatLost = true;
        session.terminate(); // its close event (1006) takes the client offline
        return;
      }
    }
    try {
      session.ping();
    } catch {
      return; // closing: the close event follows
    }
    this.#awaitingPong = true;
    this.#pingTimer.set(this.#runtime.scheduler.now() + this.#pingInterval);
  }

  // ---- going offline ------------------------------------------------------

  #sessionClosed(session: Session, info: CloseInfo): void {
    if (session !== this.#session) return;
    this.#session = undefined;
    this.#pingTimer.clear();
    const wasOnline = this.#wasOnline;
    this.#wasOnline = false;
    const reason: OfflineReason = this.#heartbeatLost
      ? { kind: 'heartbeat', missed: this.#missed }
      : { kind: 'close', code: info.code, reason: info.reason, wasClean: info.wasClean };
    if (this.#state === 'online') this.#state = 'waiting'; // `offline` listeners see the client offline
    if (wasOnline) this.emit('offline', [reason]);
    if (this.#state === 'closing') {
      this.#finish({ cause: 'closed' });
      return;
    }
    if (this.#finalError !== undefined) {
      this.#finish({ cause: 'final', last: reason });
      return;
    }
    this.#failed(reason, wasOnline);
  }

  /** A connect attempt failed or a connection ended: retry after a backoff delay, or end. */
  #failed(reason: OfflineReason, wasOnline: boolean): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    const { scheduler } = this.#runtime;
    if (wasOnline && scheduler.now() - this.#onlineSince >= this.#backoff.stableAfter) this.#attempts = 0;
    const retried = isRetried(reason);
    const decision = this.#options.shouldReconnect === undefined ? retried : this.#options.shouldReconnect(reason, retried);
    if (!decision) {
      this.#finish({ cause: 'final', last: reason });
      return;
    }
    if (this.#attempts >= this.#backoff.maxAttempts) {
      this.#finish({ cause: 'attempts-exhausted', last: reason });
      return;
    }
    let delay = backoffDelay(this.#backoff, this.#attempts, this.#options.random ?? Math.random);
    const retryAfter = retryAfterMs(reason);
    if (retryAfter !== undefined) delay = Math.max(delay, Math.min(retryAfter, this.#backoff.maxDelay));
    this.#attempts++;
    this.#state = 'waiting';
    this.#retryTimer.set(scheduler.now() + delay);
    this.emit('reconnecting', [{ attempt: this.#attempts, delay, reason }]);
  }

  #finish(info: ReconnectCloseInfo): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#retryTimer.clear();
    this.#pingTimer.clear();
    this.#queue.clear();
    for (const iterator of this.#iterators) iterator.end();
    this.#iterators.clear();
    this.emit('close', [info]);
    this.#resolveClosed(info);
  }
}

/** A bounded async iterator over delivered messages. */
class MessageIterator<M> implements AsyncIterableIterator<M, undefined> {
  readonly #buffer: M[] = [];
  #waiting: ((result: IteratorResult<M, undefined>) => void) | undefined;
  #done = false;
  #overflow: Error | undefined;

  constructor(
    private readonly limit: number,
    private readonly detach: () => void,
  ) {}

  push(message: M): void {
    if (this.#done) return;
    if (this.#waiting !== undefined) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: message, done: false });
      return;
    }
    if (this.#buffer.length >= this.limit) {
      this.#overflow = new Error(`the message iterator fell more than ${this.limit} messages behind`);
      this.#done = true;
      this.detach();
      return;
    }
    this.#buffer.push(message);
  }

  end(): void {
    this.#done = true;
    if (this.#waiting !== undefined) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<M, undefined>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift()!, done: false });
    if (this.#overflow !== undefined) return Promise.reject(this.#overflow);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  return(): Promise<IteratorResult<M, undefined>> {
    this.#buffer.length = 0;
    this.end();
    this.detach();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `reconnect option ${name} must be a number ≥ 0, got ${String(value)}`);
  }
  return value;
}
