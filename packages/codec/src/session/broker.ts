/**
 * The seam between a server's topics and other servers: a {@link Broker}
 * carries each publish to every server subscribed to its topic, in this
 * process (the {@link MemoryBroker}) or elsewhere (Redis, NATS: future
 * implementations of the same interface).
 *
 * A server publishes to its own subscribers at once and hands the message to
 * the broker tagged with its `origin`; it ignores what comes back with its
 * own origin, so nobody gets a message twice.
 *
 * @module
 */

/** One topic message on its way between servers. */
export interface BrokerMessage {
  readonly topic: string;
  /** The payload: UTF-8 text when `binary` is false. */
  readonly data: Uint8Array;
  readonly binary: boolean;
  /** The publisher asked for compression (`publish(…, { compress: true })`). */
  readonly compress: boolean;
  /** Which server published it (it already reached that server's subscribers). */
  readonly origin: string;
}

/** Receives the messages of the topics a server subscribed to, in publish order per topic. */
export type BrokerListener = (message: BrokerMessage) => void;

/**
 * What a server needs of a broker. Calls may return promises; a rejection
 * is reported to the server's `onBrokerError`, never thrown at the caller of
 * `server.publish`. An implementation must take what it needs of
 * `message.data` before `publish` returns (copy or serialise it): the bytes
 * may be reused afterwards.
 */
export interface Broker {
  /** Carry `message` to every listener of its topic, this server's included. */
  publish(message: BrokerMessage): void | Promise<void>;
  /** Start handing `topic`'s messages to `listener`. */
  subscribe(topic: string, listener: BrokerListener): void | Promise<void>;
  /** Stop handing `topic`'s messages to `listener`. */
  unsubscribe(topic: string, listener: BrokerListener): void | Promise<void>;
}

/**
 * The embedded broker: servers of one process share topics through it, with
 * no server to run. Delivery is synchronous, in publish order, at most once
 * per listener. A topic without listeners is deleted.
 *
 * @example Two servers in one process, one topic space
 * ```ts
 * const broker = new MemoryBroker();
 * const a = new WebSocketServer({ port: 8080, broker });
 * const b = new WebSocketServer({ port: 8081, broker });
 * a.publish('news', 'hello'); // reaches subscribers on a and on b
 * ```
 */
export class MemoryBroker implements Broker {
  readonly #listeners = new Map<string, Set<BrokerListener>>();

  /** Topics with at least one listener (a snapshot). */
  get topics(): string[] {
    return [...this.#listeners.keys()];
  }

  /** How many listeners `topic` has. */
  listenerCount(topic: string): number {
    return this.#listeners.get(topic)?.size ?? 0;
  }

  publish(message: BrokerMessage): void {
    const listeners = this.#listeners.get(message.topic);
    if (listeners === undefined) return;
    // A snapshot: a listener that unsubscribes another mid-delivery does not skip anyone.
    for (const listener of [...listeners]) listener(message);
  }

  subscribe(topic: string, listener: BrokerListener): void {
    let set = this.#listeners.get(topic);
    if (set === undefined) this.#listeners.set(topic, (set = new Set()));
    set.add(listener);
  }

  unsubscribe(topic: string, listener: BrokerListener): void {
    const set = this.#listeners.get(topic);
    if (set === undefined) return;
    set.delete(listener);
    if (set.size === 0) this.#listeners.delete(topic);
  }
}
