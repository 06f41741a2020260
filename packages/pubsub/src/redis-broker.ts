/**
 * A {@link Broker} over Redis pub/sub: at most once, no history.
 *
 * @module
 */
import type { Broker, BrokerListener, BrokerMessage } from '@framewire/codec/session';
import { decodeBrokerMessage, encodeBrokerMessage } from './broker-message.js';
import { BrokerUnavailableError, unavailable } from './errors.js';
import { redisClient, type RedisClient, type RedisConnectionOptions } from './redis-options.js';

/** Options of {@link RedisBroker}. */
export interface RedisBrokerOptions extends RedisConnectionOptions {
  /** A message on a subscribed channel that is not a framewire message (another program publishing there). Default: dropped silently. */
  onForeignMessage?: (channel: string, bytes: Uint8Array) => void;
}

/**
 * Carries topic messages between framewire servers through Redis `PUBLISH`
 * / `SUBSCRIBE` (channel = prefix + topic). One connection publishes, one
 * subscribes. While Redis is away, `publish` rejects at once with a
 * {@link BrokerUnavailableError} (nothing is buffered); subscribe and
 * unsubscribe resolve and are applied when Redis returns (remembered per
 * topic, so an outage costs at most one entry per topic touched), and the
 * existing subscriptions are restored by themselves. Messages published
 * during the outage are lost (at most once).
 *
 * @example
 * ```ts
 * const broker = new RedisBroker({ url: 'redis://127.0.0.1:6379' });
 * const server = new WebSocketServer({ port: 8080, broker, onBrokerError: console.error });
 * server.publish('news', 'hello'); // reaches subscribers of every server on this Redis
 * ```
 */
export class RedisBroker implements Broker {
  readonly #prefix: string;
  readonly #publisher: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #listeners = new Map<string, Set<BrokerListener>>();
  readonly #connecting: Promise<void>;
  readonly #onForeign: ((channel: string, bytes: Uint8Array) => void) | undefined;
  readonly #onError: ((error: Error) => void) | undefined;
  /** Topics whose Redis subscription may not match `#listeners`: changed while offline, or the call failed. */
  readonly #unsynced = new Set<string>();
  /** One handler for every channel: node-redis keeps listeners in a Set, so re-subscribing never doubles deliveries. */
  readonly #onMessage = (bytes: Buffer, channel: Buffer): void => this.#deliver(bytes, channel);
  #closed = false;

  constructor(options: RedisBrokerOptions) {
    this.#prefix = options.prefix ?? 'framewire:';
    this.#onForeign = options.onForeignMessage;
    this.#onError = options.onError;
    // Neither client queues while offline (that queue has no bound): publishes fail at once, and
    // subscription changes are remembered per topic and sent on the next `ready`.
    this.#publisher = redisClient(options, false);
    this.#subscriber = redisClient(options, false);
    // node-redis re-subscribes what it had by itself; this sends what changed meanwhile.
    this.#subscriber.on('ready', () => {
      for (const topic of [...this.#unsynced]) {
        this.#unsynced.delete(topic);
        this.#sync(topic).catch((error: unknown) => this.#onError?.(error instanceof Error ? error : new Error(String(error))));
      }
    });
    this.#connecting = Promise.all([this.#publisher.connect(), this.#subscriber.connect()]).then(
      () => undefined,
      (error: unknown) => {
        throw unavailable('Redis', error);
      },
    );
    // ready() reports this; nobody else must see it as unhandled.
    this.#connecting.catch(() => undefined);
  }

  /** Resolves once both connections are up (the first time); `publish` before that rejects. */
  ready(): Promise<void> {
    return this.#connecting;
  }

  /** Both connections are up now. */
  get connected(): boolean {
    return this.#publisher.isReady && this.#subscriber.isReady;
  }

  /** Topics with at least one listener here (a snapshot). */
  get topics(): string[] {
    return [...this.#listeners.keys()];
  }

  /** How many listeners `topic` has here. */
  listenerCount(topic: string): number {
    return this.#listeners.get(topic)?.size ?? 0;
  }

  /** `PUBLISH`es `message` (encoded, see {@link encodeBrokerMessage}); rejects with {@link BrokerUnavailableError} while Redis is away. */
  publish(message: BrokerMessage): Promise<void> {
    // A malformed message is refused before anything else: it would fail the same way online.
    let encoded: Uint8Array;
    try {
      encoded = encodeBrokerMessage(message);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.#closed) return Promise.reject(new BrokerUnavailableError('RedisBroker is closed'));
    if (!this.#publisher.isReady) return Promise.reject(new BrokerUnavailableError('Redis is unavailable: not connected'));
    const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    return this.#publisher.publish(this.#prefix + message.topic, bytes).then(
      () => undefined,
      (error: unknown) => {
        throw unavailable('Redis', error);
      },
    );
  }

  /** Hands `topic`'s messages to `listener`; the first listener of a topic `SUBSCRIBE`s its channel. */
  subscribe(topic: string, listener: BrokerListener): Promise<void> {
    if (this.#closed) return Promise.reject(new BrokerUnavailableError('RedisBroker is closed'));
    const set = this.#listeners.get(topic);
    if (set !== undefined) {
      set.add(listener);
      return Promise.resolve();
    }
    this.#listeners.set(topic, new Set([listener]));
    return this.#sync(topic);
  }

  /** Stops handing `topic`'s messages to `listener`; the last one `UNSUBSCRIBE`s the channel. */
  unsubscribe(topic: string, listener: BrokerListener): Promise<void> {
    const set = this.#listeners.get(topic);
    if (set === undefined || !set.delete(listener) || set.size > 0) return Promise.resolve();
    this.#listeners.delete(topic);
    if (this.#closed) return Promise.resolve();
    return this.#sync(topic);
  }

  /**
   * Makes Redis's subscription to `topic` match `#listeners`. Offline, it only
   * marks the topic for the next `ready` and resolves: the subscription will
   * be made, so the caller has nothing to retry.
   */
  #sync(topic: string): Promise<void> {
    if (!this.#subscriber.isReady) {
      this.#unsynced.add(topic);
      return Promise.resolve();
    }
    const channel = this.#prefix + topic;
    const call = this.#listeners.has(topic) ? this.#subscriber.subscribe(channel, this.#onMessage, true) : this.#subscriber.unsubscribe(channel, this.#onMessage, true);
    return call.catch((error: unknown) => {
      // close() cut it short: nothing to report.
      if (this.#closed) return;
      this.#unsynced.add(topic);
      // Lost with the connection: it is re-sent on `ready`, so it is not the caller's failure.
      if (!this.#subscriber.isReady) return;
      throw unavailable('Redis', error);
    });
  }

  /** Drops both connections; later calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#unsynced.clear();
    // destroy, not quit: quit waits for a Redis that may be gone.
    for (const client of [this.#publisher, this.#subscriber]) if (client.isOpen) client.destroy();
  }

  #deliver(bytes: Buffer, channel: Buffer): void {
    const message = decodeBrokerMessage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (message === undefined || this.#prefix + message.topic !== channel.toString()) {
      this.#onForeign?.(channel.toString(), new Uint8Array(bytes));
      return;
    }
    const set = this.#listeners.get(message.topic);
    if (set === undefined) return;
    for (const listener of [...set]) {
      // A throwing listener must not break the client's reader or the other listeners.
      try {
        listener(message);
      } catch (error) {
        this.#onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}
