/**
 * A {@link Broker} over NATS core subjects: at most once, no history.
 *
 * @module
 */
import type { Broker, BrokerListener, BrokerMessage } from '@framewire/codec/session';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { decodeBrokerMessage, encodeBrokerMessage } from './broker-message.js';
import { BrokerUnavailableError, unavailable } from './errors.js';
import { natsLink, type NatsConnectionOptions, type NatsLink } from './nats-options.js';
import { checkSubjectPrefix, topicToToken } from './nats-subject.js';

/** Options of {@link NatsBroker}. */
export interface NatsBrokerOptions extends NatsConnectionOptions {
  /** A message on a subscribed subject that is not a framewire message. Default: dropped silently. */
  onForeignMessage?: (subject: string, bytes: Uint8Array) => void;
}

interface TopicEntry {
  readonly listeners: Set<BrokerListener>;
  subscription: Subscription | undefined;
}

/**
 * Carries topic messages between framewire servers through NATS (subject =
 * `prefix.` + the topic as one escaped token, see {@link topicToToken}).
 * One connection does both. While NATS is away, `publish` rejects at once
 * with a {@link BrokerUnavailableError} (nothing is buffered); the client
 * reconnects forever and restores its subscriptions by itself; messages
 * published during the outage are lost (at most once).
 *
 * @example
 * ```ts
 * const broker = new NatsBroker({ servers: 'nats://127.0.0.1:4222' });
 * const server = new WebSocketServer({ port: 8080, broker, onBrokerError: console.error });
 * ```
 */
export class NatsBroker implements Broker {
  readonly #prefix: string;
  readonly #link: NatsLink;
  readonly #topics = new Map<string, TopicEntry>();
  readonly #onForeign: ((subject: string, bytes: Uint8Array) => void) | undefined;
  readonly #onError: ((error: Error) => void) | undefined;
  #nc: NatsConnection | undefined;
  #closed = false;

  constructor(options: NatsBrokerOptions) {
    this.#prefix = checkSubjectPrefix(options.prefix ?? 'framewire');
    this.#onForeign = options.onForeignMessage;
    this.#onError = options.onError;
    this.#link = natsLink(options);
    this.#link.connection.then((nc) => (this.#nc = nc), () => undefined);
  }

  /** Resolves once connected (the first time). */
  async ready(): Promise<void> {
    await this.#link.connection;
  }

  /** Connected now. */
  get connected(): boolean {
    return this.#nc !== undefined && this.#link.online();
  }

  /** Topics with at least one listener here (a snapshot). */
  get topics(): string[] {
    return [...this.#topics.keys()];
  }

  /** How many listeners `topic` has here. */
  listenerCount(topic: string): number {
    return this.#topics.get(topic)?.listeners.size ?? 0;
  }

  /** Publishes `message` (encoded, see {@link encodeBrokerMessage}); rejects with {@link BrokerUnavailableError} while NATS is away. */
  publish(message: BrokerMessage): Promise<void> {
    // A malformed message is refused before anything else: it would fail the same way online.
    let payload: Uint8Array;
    try {
      payload = encodeBrokerMessage(message);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.#closed) return Promise.reject(new BrokerUnavailableError('NatsBroker is closed'));
    const nc = this.#nc;
    if (nc === undefined || !this.#link.online()) return Promise.reject(new BrokerUnavailableError('NATS is unavailable: not connected'));
    const max = nc.info?.max_payload;
    // Too big for this server is the caller's problem, not an outage: say so plainly.
    if (max !== undefined && payload.length > max) return Promise.reject(new RangeError(`a ${payload.length}-byte broker message exceeds the NATS server's max_payload of ${max} bytes`));
    try {
      nc.publish(this.#subject(message.topic), payload);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(unavailable('NATS', error));
    }
  }

  /** Hands `topic`'s messages to `listener`; resolves once the server has the subscription (or at once while offline). */
  async subscribe(topic: string, listener: BrokerListener): Promise<void> {
    if (this.#closed) throw new BrokerUnavailableError('NatsBroker is closed');
    const existing = this.#topics.get(topic);
    if (existing !== undefined) {
      existing.listeners.add(listener);
      return;
    }
    const entry: TopicEntry = { listeners: new Set([listener]), subscription: undefined };
    this.#topics.set(topic, entry);
    const nc = await this.#link.connection;
    // Unsubscribed (or closed) while connecting.
    if (this.#topics.get(topic) !== entry || this.#closed) return;
    entry.subscription = nc.subscribe(this.#subject(topic), {
      callback: (error, msg) => {
        if (error !== null) return;
        const decoded = decodeBrokerMessage(msg.data);
        if (decoded === undefined || decoded.topic !== topic) {
          this.#onForeign?.(msg.subject, msg.data);
          return;
        }
        for (const each of [...entry.listeners]) {
          // A throwing listener must not break the other listeners.
          try {
            each(decoded);
          } catch (error) {
            this.#onError?.(error instanceof Error ? error : new Error(String(error)));
          }
        }
      },
    });
    // Resolve once the server has the subscription (as Redis's SUBSCRIBE reply does). Offline, the
    // client re-sends it on reconnect, so a failed flush is no error here.
    if (!this.#link.online()) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A flush caught by a disconnect waits for the reconnect: bound it.
    await Promise.race([nc.flush().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
  }

  /** Stops handing `topic`'s messages to `listener`; the last one drops the NATS subscription. */
  unsubscribe(topic: string, listener: BrokerListener): void {
    const entry = this.#topics.get(topic);
    if (entry === undefined || !entry.listeners.delete(listener) || entry.listeners.size > 0) return;
    this.#topics.delete(topic);
    entry.subscription?.unsubscribe();
  }

  /** Closes the connection (without draining); later calls reject with {@link BrokerUnavailableError}. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#topics.clear();
    await this.#link.close();
  }

  #subject(topic: string): string {
    return `${this.#prefix}.${topicToToken(topic)}`;
  }
}
