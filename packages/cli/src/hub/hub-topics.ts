/**
 * The hub's topics: ids and history from the log, fan-out to this
 * process's subscribers through the WebSocket server's own topics (so a
 * message is framed once for all of them), and to other hubs through the
 * broker, with the log id riding along in the broker message.
 *
 * Each hub topic NAME is two server topics: `v1 NAME` (subscribers that
 * speak `framewire.v1` get the JSON envelope) and `raw NAME` (the payload
 * as-is). A space cannot occur in a hub topic name, so they never collide.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Broker, BrokerListener, PublishData, PublishOptions, Session } from '@framewire/node-adapter';
import type { LoggedMessage, TopicLog } from '@framewire/pubsub';
import { decodeBrokerData, encodeBrokerData, toEnvelope } from './envelope.js';
import { LiveMerge } from './live-merge.js';

/** How a subscriber receives messages. */
export type DeliveryMode = 'v1' | 'plain';

/** The part of a WebSocket server the hub publishes through. */
export interface TopicServer {
  publish(topic: string, data: PublishData, options?: PublishOptions): number;
  subscriberCount(topic: string): number;
}

/** Options of {@link HubTopics}. */
export interface HubTopicsOptions {
  readonly server: TopicServer;
  readonly broker: Broker;
  readonly log: TopicLog;
  /** Does a WebSocket publisher get its own messages? */
  readonly echo: boolean;
  /** Hub topics with subscribers at most. */
  readonly maxTopics: number;
  /** How many messages a `since` read asks the log for (the history length). */
  readonly historyLimit: number;
  /** Live messages held per subscriber while its history is read; past it the subscriber is closed with 1008. */
  readonly maxCatchUp?: number | undefined;
  /** Where broker and log failures are reported. */
  readonly onError: (error: Error) => void;
}

/** A message as the hub delivers it. */
interface Delivery {
  readonly id: string;
  readonly data: Uint8Array;
  readonly binary: boolean;
}

/** A subscriber whose `since` history is being read, or was read less than {@link SETTLE_MS} ago. */
interface CatchingUp {
  readonly session: Session;
  readonly mode: DeliveryMode;
  readonly merge: LiveMerge<Delivery>;
}

const encoder = new TextEncoder();

/** See the module comment. */
export class HubTopics {
  readonly #options: HubTopicsOptions;
  /** Sessions per hub topic in this process (subscribed or catching up): the broker subscription lives while > 0. */
  readonly #interest = new Map<string, number>();
  readonly #catchingUp = new Map<string, Set<CatchingUp>>();
  /** Per topic with interest: settles once the broker has the subscription (never rejects). */
  readonly #brokerSubscribed = new Map<string, Promise<void>>();
  /** This hub's name on the broker: its own messages were delivered here already. */
  readonly #origin = randomBytes(8).toString('hex');
  readonly #fromBroker: BrokerListener;
  #deliveries = 0;

  constructor(options: HubTopicsOptions) {
    this.#options = options;
    this.#fromBroker = (message) => {
      if (message.origin === this.#origin) return;
      const decoded = decodeBrokerData(message.data);
      if (decoded === undefined) return this.#options.onError(new Error(`broker message on ${message.topic} is not a hub message`));
      this.#deliver(message.topic, { id: decoded.id, data: decoded.payload, binary: message.binary }, undefined);
    };
  }

  /** Messages written to subscribers here: one per subscriber a live message reached, plus history replays. */
  get deliveries(): number {
    return this.#deliveries;
  }

  /** Hub topics with at least one subscriber here. */
  get topicCount(): number {
    return this.#interest.size;
  }

  /** Can a session subscribe to `topic` without passing the topic limit? */
  canSubscribe(topic: string): boolean {
    return this.#interest.has(topic) || this.#interest.size < this.#options.maxTopics;
  }

  /**
   * Publish: the log gives the id, then local subscribers and other hubs get
   * the message. `sender` is left out unless the hub runs with `--echo`.
   * Rejects when the log does (nothing was delivered then).
   */
  async publish(topic: string, data: Uint8Array, binary: boolean, sender?: Session): Promise<string> {
    const id = await this.#options.log.append(topic, data, binary);
    this.#deliver(topic, { id, data, binary }, sender);
    const message = { topic, data: encodeBrokerData(id, data), binary, compress: false, origin: this.#origin };
    this.#brokerCall(() => this.#options.broker.publish(message));
    return id;
  }

  /**
   * Subscribe `session` to `topic` until it closes. With `since`, the
   * messages after that id are sent first from the history, then live ones
   * follow with no gap and no duplicate (see {@link LiveMerge}).
   */
  subscribe(session: Session, topic: string, mode: DeliveryMode, since?: string): void {
    const serverTopic = `${mode === 'v1' ? 'v1' : 'raw'} ${topic}`;
    this.#retain(topic);
    void session.closed.then(() => this.#release(topic));
    if (since === undefined) {
      session.subscribe(serverTopic);
      return;
    }
    const log = this.#options.log;
    const entry: CatchingUp = { session, mode, merge: new LiveMerge((a, b) => log.compare(a, b), since, this.#options.maxCatchUp ?? 10_000) };
    let set = this.#catchingUp.get(topic);
    if (set === undefined) this.#catchingUp.set(topic, (set = new Set()));
    set.add(entry);
    const done = (): void => {
      set.delete(entry);
      if (set.size === 0 && this.#catchingUp.get(topic) === set) this.#catchingUp.delete(topic);
    };
    // A subscriber that leaves during the read stops collecting at once.
    void session.closed.then(done);
    // Live first (the entry above, and the broker's subscription: another hub's
    // publish made after the read but before Redis or NATS had it would be lost),
    // then the history: nothing published meanwhile is missed.
    const subscribed = this.#brokerSubscribed.get(topic) ?? Promise.resolve();
    within(subscribed, BROKER_SUBSCRIBE_WAIT_MS)
      .then(() => log.read(topic, since, Math.max(1, this.#options.historyLimit)))
      .then(
        (history) => {
          if (session.readyState !== 1) return done();
          for (const message of entry.merge.finish(history.map(deliveryOf))) {
            send(session, mode, topic, message);
            this.#deliveries++;
          }
          // Not on the server topic yet: another hub appends to the log before
          // it publishes to the broker, so a message the read just returned
          // may still arrive live. The merge drops those for SETTLE_MS; then
          // the server topic takes over (and a message can be that late only
          // on a broker that is seconds behind).
          const settled = setTimeout(() => {
            done();
            if (session.readyState === 1) session.subscribe(serverTopic);
          }, SETTLE_MS);
          settled.unref?.();
          void session.closed.then(() => clearTimeout(settled));
        },
        (error: unknown) => {
          done();
          this.#options.onError(error instanceof Error ? error : new Error(String(error)));
          session.closeWithLibraryCode(1011, 'history unavailable');
        },
      );
  }

  /** The newest `limit` messages of `topic` (after `since` when given), oldest first. */
  history(topic: string, since: string | undefined, limit: number): Promise<LoggedMessage[]> {
    return this.#options.log.read(topic, since, limit);
  }

  /** Leave the broker. */
  close(): void {
    for (const topic of this.#interest.keys()) this.#brokerCall(() => this.#options.broker.unsubscribe(topic, this.#fromBroker));
    this.#interest.clear();
    this.#brokerSubscribed.clear();
    this.#catchingUp.clear();
  }

  #deliver(topic: string, message: Delivery, sender: Session | undefined): void {
    const server = this.#options.server;
    const except = this.#options.echo ? undefined : sender;
    const v1Topic = `v1 ${topic}`;
    // Built only when someone here wants it; then framed once for all of them.
    if (server.subscriberCount(v1Topic) > 0) {
      this.#deliveries += server.publish(v1Topic, JSON.stringify(toEnvelope(topic, message.id, message.data, message.binary)), { except });
    }
    const rawTopic = `raw ${topic}`;
    if (server.subscriberCount(rawTopic) > 0) this.#deliveries += server.publish(rawTopic, message.data, { binary: message.binary, except });
    const catchingUp = this.#catchingUp.get(topic);
    if (catchingUp === undefined) return;
    let v1Text: string | undefined;
    for (const entry of catchingUp) {
      if (entry.session === except) continue;
      const now = entry.merge.push(message);
      if (now === undefined) {
        catchingUp.delete(entry);
        entry.session.closeWithLibraryCode(1008, 'too many messages while the history was read');
        continue;
      }
      // Settling (history sent, not yet on the server topic): new ones go to it directly.
      for (const fresh of now) {
        if (entry.mode === 'v1') entry.session.send((v1Text ??= JSON.stringify(toEnvelope(topic, fresh.id, fresh.data, fresh.binary))));
        else entry.session.send(fresh.data, { binary: fresh.binary });
        this.#deliveries++;
      }
    }
  }

  #retain(topic: string): void {
    const count = this.#interest.get(topic) ?? 0;
    this.#interest.set(topic, count + 1);
    if (count === 0) this.#brokerSubscribed.set(topic, this.#brokerCall(() => this.#options.broker.subscribe(topic, this.#fromBroker)));
  }

  #release(topic: string): void {
    const count = this.#interest.get(topic);
    if (count === undefined) return;
    if (count > 1) {
      this.#interest.set(topic, count - 1);
      return;
    }
    this.#interest.delete(topic);
    this.#brokerSubscribed.delete(topic);
    this.#brokerCall(() => this.#options.broker.unsubscribe(topic, this.#fromBroker));
  }

  /** A broker failure is reported, never thrown: local delivery already happened. Settles when the call did. */
  #brokerCall(call: () => void | Promise<void>): Promise<void> {
    const report = (error: unknown): void => this.#options.onError(error instanceof Error ? error : new Error(String(error)));
    try {
      const result = call();
      if (result instanceof Promise) return result.then(undefined, report);
    } catch (error) {
      report(error);
    }
    return Promise.resolve();
  }
}

/**
 * How long a subscriber stays on its own merge after its `since` history
 * was sent: a message the read returned can still come live from the
 * broker (its hub appends first, then publishes), and is dropped as a
 * duplicate in that time.
 */
export const SETTLE_MS = 2000;

/**
 * Longest wait for the broker's subscription before a `since` read goes
 * ahead anyway (NATS not reachable yet: the read then fails or the live
 * part starts late, instead of the subscriber waiting without bound).
 */
const BROKER_SUBSCRIBE_WAIT_MS = 5000;

/** `promise`, or nothing after `ms`. */
function within(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function deliveryOf(message: LoggedMessage): Delivery {
  return { id: message.id, data: message.data, binary: message.binary };
}

/** One message to one subscriber, in its mode (for history replay; live ones go through the server topics). */
function send(session: Session, mode: DeliveryMode, topic: string, message: Delivery): void {
  if (mode === 'v1') session.send(JSON.stringify(toEnvelope(topic, message.id, message.data, message.binary)));
  else session.send(message.data, { binary: message.binary });
}

/** Bytes of a message received on a socket. */
export function payloadBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}
