/**
 * A {@link TopicLog} over NATS JetStream: one stream per prefix, one
 * subject per topic.
 *
 * @module
 */
import { DeliverPolicy, jetstream, jetstreamManager, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BrokerUnavailableError, unavailable } from './errors.js';
import { natsLink, type NatsConnectionOptions, type NatsLink } from './nats-options.js';
import { topicToToken } from './nats-subject.js';
import type { LoggedMessage, TopicLog } from './topic-log.js';

/** Options of {@link JetStreamLog}. */
export interface JetStreamLogOptions extends NatsConnectionOptions {
  /** Messages kept per topic (`max_msgs_per_subject` of the stream). Default 1000. */
  maxLength?: number;
  /** Longest a `read` may take before it rejects, in ms. Default 10000. */
  readTimeout?: number;
}

const SEQ = /^[1-9]\d{0,15}$/;
/** The payload's first byte: the message's `binary` flag. */
const TEXT = 0;
const BINARY = 1;

interface Api {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

/**
 * Keeps each topic's messages in the JetStream stream named by `prefix`
 * (default `framewire`, subjects `framewire.>`, file storage, created or
 * updated on first use with `max_msgs_per_subject = maxLength`). An id is
 * the stream sequence number in decimal, so ids of all topics of one prefix
 * are ordered together. A reader that comes back with its last id gets what
 * came after it, in order, as long as it is kept; with the server's store
 * on disk (`nats-server -js -sd DIR`) that survives a server restart. Calls
 * made while NATS is away reject at once with a
 * {@link BrokerUnavailableError}.
 *
 * @example
 * ```ts
 * const log = new JetStreamLog({ servers: 'nats://127.0.0.1:4222', maxLength: 500 });
 * const id = await log.append('news', new TextEncoder().encode('hello'), false);
 * ```
 */
export class JetStreamLog implements TopicLog {
  readonly #stream: string;
  readonly #maxLength: number;
  readonly #readTimeout: number;
  readonly #link: NatsLink;
  #api: Promise<Api> | undefined;
  #nc: NatsConnection | undefined;
  #closed = false;

  constructor(options: JetStreamLogOptions) {
    this.#stream = options.prefix ?? 'framewire';
    // A stream name is one token: no dots (unlike the brokers' prefix).
    if (!/^[A-Za-z0-9_-]+$/.test(this.#stream)) throw new TypeError(`JetStreamLog prefix must match [A-Za-z0-9_-]+, got ${JSON.stringify(this.#stream)}`);
    this.#maxLength = options.maxLength ?? 1000;
    if (!Number.isInteger(this.#maxLength) || this.#maxLength < 1) throw new RangeError(`maxLength must be a whole number ≥ 1, got ${this.#maxLength}`);
    this.#readTimeout = options.readTimeout ?? 10_000;
    this.#link = natsLink(options);
    this.#link.connection.then((nc) => (this.#nc = nc), () => undefined);
  }

  /** Resolves once connected and the stream exists. */
  async ready(): Promise<void> {
    await this.#link.connection;
    await this.#ensure();
  }

  /** Connected now. */
  get connected(): boolean {
    return this.#nc !== undefined && this.#link.online();
  }

  /** Publishes to the topic's subject with JetStream's acknowledgement; resolves with the stream sequence. */
  async append(topic: string, data: Uint8Array, binary: boolean): Promise<string> {
    const { js } = await this.#ensure();
    const payload = new Uint8Array(data.length + 1);
    payload[0] = binary ? BINARY : TEXT;
    payload.set(data, 1);
    const max = this.#nc?.info?.max_payload;
    if (max !== undefined && payload.length > max) throw new RangeError(`a ${payload.length}-byte message exceeds the NATS server's max_payload of ${max} bytes`);
    try {
      const ack = await js.publish(this.#subject(topic), payload, { timeout: 5000 });
      return String(ack.seq);
    } catch (error) {
      throw unavailable('NATS JetStream', error);
    }
  }

  /** See {@link TopicLog.read}: an ordered consumer on the topic's subject, from after `since`. */
  async read(topic: string, since: string | undefined, limit: number): Promise<LoggedMessage[]> {
    const count = Math.max(0, Math.floor(limit));
    const after = since === undefined ? 0 : this.#seq(since);
    if (count === 0) return [];
    const { js, jsm } = await this.#ensure();
    const subject = this.#subject(topic);
    let lastSeq: number;
    try {
      const last = await jsm.streams.getMessage(this.#stream, { last_by_subj: subject });
      if (last === null) return [];
      lastSeq = last.seq;
    } catch (error) {
      throw unavailable('NATS JetStream', error);
    }
    if (lastSeq <= after) return [];
    // An ordered consumer streams the subject from after `since` (or from the start: at most maxLength are kept) up to `lastSeq`.
    const out: LoggedMessage[] = [];
    let timedOut = false;
    try {
      const consumer = await js.consumers.get(this.#stream, {
        filter_subjects: subject,
        ...(after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 } : { deliver_policy: DeliverPolicy.All }),
      });
      const messages = await consumer.consume({ max_messages: Math.min(256, since === undefined ? this.#maxLength : count) });
      const timer = setTimeout(() => {
        timedOut = true;
        messages.stop();
      }, this.#readTimeout);
      try {
        for await (const m of messages) {
          out.push({ id: String(m.seq), topic, data: m.data.slice(1), binary: m.data[0] === BINARY });
          // Without `since` only the newest `count` are wanted: keep a window.
          if (since === undefined && out.length > count) out.shift();
          if (m.seq >= lastSeq || m.info.pending === 0 || (since !== undefined && out.length >= count)) break;
        }
      } finally {
        clearTimeout(timer);
        messages.stop();
      }
    } catch (error) {
      throw unavailable('NATS JetStream', error);
    }
    if (timedOut) throw new BrokerUnavailableError(`NATS JetStream: reading ${JSON.stringify(topic)} took over ${this.#readTimeout} ms`);
    return out;
  }

  /** Orders two stream sequences; throws a TypeError on anything else. */
  compare(a: string, b: string): number {
    return this.#seq(a) - this.#seq(b);
  }

  /** True for a positive decimal sequence number up to 2^53 - 1. */
  isId(id: string): boolean {
    return SEQ.test(id) && Number(id) <= Number.MAX_SAFE_INTEGER;
  }

  /** Closes the connection; later calls reject with {@link BrokerUnavailableError}. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#link.close();
  }

  #seq(id: string): number {
    if (!this.isId(id)) throw new TypeError(`not a JetStreamLog id: ${JSON.stringify(id)}`);
    return Number(id);
  }

  #subject(topic: string): string {
    return `${this.#stream}.${topicToToken(topic)}`;
  }

  /** The JetStream handles, once the stream exists; fails fast while NATS is away. */
  #ensure(): Promise<Api> {
    if (this.#closed) return Promise.reject(new BrokerUnavailableError('JetStreamLog is closed'));
    const nc = this.#nc;
    if (nc === undefined || !this.#link.online()) return Promise.reject(new BrokerUnavailableError('NATS is unavailable: not connected'));
    if (this.#api === undefined) {
      const api = this.#setUp(nc).catch((error: unknown) => {
        // Let the next call try again.
        if (this.#api === api) this.#api = undefined;
        throw unavailable('NATS JetStream', error);
      });
      this.#api = api;
    }
    return this.#api;
  }

  async #setUp(nc: NatsConnection): Promise<Api> {
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const config = { subjects: [`${this.#stream}.>`], max_msgs_per_subject: this.#maxLength };
    const info = await jsm.streams.info(this.#stream).catch(() => undefined);
    if (info === undefined) await jsm.streams.add({ name: this.#stream, storage: StorageType.File, ...config });
    else if (info.config.max_msgs_per_subject !== this.#maxLength) await jsm.streams.update(this.#stream, config);
    return { js: jetstream(nc, { timeout: 5000 }), jsm };
  }
}
