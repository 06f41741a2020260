/**
 * Topic pub/sub inside one server: which sessions subscribe to which topic,
 * and the fan-out of one publish. Runtime-neutral, shared by every adapter
 * through `ServerRegistry`; the membership of one session is kept on the
 * session itself (`session.topics`), so closing it frees its entries.
 *
 * Encode once: a publish frames its message a single time
 * ({@link prepareMessage}) and hands the same bytes to every subscriber.
 *
 * @module
 */
import { UsageError } from '../protocol/errors.js';
import { Opcode } from '../protocol/opcode.js';
import { prepareBatch, type PreparedBatch } from '../protocol/prepared-batch.js';
import { prepareMessage, type PreparedMessage } from '../protocol/prepared-message.js';
import { checkTopic } from './topic-name.js';
import { failSlowSubscriber, sendDeflatedMessage, sendPreparedBatch, sendPreparedMessage, type Session } from './session.js';
import { TopicDeflate, sharedDeflateWindow, type TopicDeflateOptions } from './topic-deflate.js';

/** What happens to a subscriber whose outgoing buffer is over the limit when a publish reaches it. */
export type TopicBackpressurePolicy = 'skip' | 'close';

/** The per-subscriber backpressure rule of a server's topics. */
export interface TopicBackpressure {
  /**
   * Outgoing bytes (`session.bufferedAmount`) at or above which a subscriber
   * counts as too slow for a publish. Default 4 MiB.
   */
  limit?: number;
  /**
   * `'close'` (default): fail the subscriber with 1008 (policy violation),
   * as the session's own `maxBufferedAmount` does; `'skip'`: leave it out
   * of this publish and keep it subscribed (it misses the message).
   * Either way the other subscribers are served at once and the slow one's
   * memory stays below `limit` plus one message.
   */
  policy?: TopicBackpressurePolicy;
}

/** The default {@link TopicBackpressure}: close with 1008 at 4 MiB buffered. */
export const DEFAULT_TOPIC_BACKPRESSURE: Readonly<Required<TopicBackpressure>> = Object.freeze({
  limit: 4 * 1024 * 1024,
  policy: 'close',
});

/** Options of {@link TopicRegistry.publish} (and every adapter's `server.publish`). */
export interface PublishOptions {
  /** A session left out (typically the sender of the message being relayed). */
  except?: Session | undefined;
  /**
   * Compress for subscribers that negotiated permessage-deflate. Default
   * `false`: everyone gets the one uncompressed frame. With `true`:
   * - subscribers whose deflate keeps no server context
   *   (`server_no_context_takeover`, e.g. `perMessageDeflate: {
   *   serverNoContextTakeover: true }` on the server) share one deflate per
   *   window size: compressed once per publish;
   * - subscribers with context takeover compress through their own
   *   extension (their window holds earlier messages, so bytes cannot be
   *   shared);
   * - the others, and messages below the deflate threshold, get the shared
   *   uncompressed frame.
   */
  compress?: boolean;
  /** Send a string as binary (its UTF-8 bytes) or bytes as text (they must be UTF-8). Default: by the data's type. */
  binary?: boolean;
}

/** Data a topic message can carry: text as a string, binary as bytes. */
export type PublishData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

const textEncoder = new TextEncoder();

function toBytes(data: Exclude<PublishData, string>): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'publish() takes a string, an ArrayBuffer or an ArrayBufferView');
}

/**
 * The topics of one server (see the module comment). Sessions join and leave
 * through `session.subscribe(topic)` / `unsubscribe(topic)`; a closed
 * session leaves every topic before its `close` listeners run, and a topic
 * without subscribers is deleted, so nothing outlives its last subscriber.
 *
 * @example
 * ```ts
 * server.on('connection', (ws) => ws.subscribe('news'));
 * setInterval(() => server.publish('news', JSON.stringify({ at: Date.now() })), 1000);
 * ```
 */
export class TopicRegistry {
  readonly #subscribers = new Map<string, Set<Session>>();
  readonly #limit: number;
  readonly #policy: TopicBackpressurePolicy;
  readonly #deflate: TopicDeflate | undefined;
  /** Each subscriber's shared-deflate window (`null`: cannot share), parsed once. */
  readonly #windows = new WeakMap<Session, number | null>();
  #watcher: ((topic: string, active: boolean) => void) | undefined;

  /**
   * @param deflate the server's DEFLATE engine and settings, for `compress: true` (none: no shared compression).
   * @throws {UsageError} `FW_ERR_INVALID_ARGUMENT` for a limit that is not a positive number or an unknown policy.
   */
  constructor(backpressure: TopicBackpressure = {}, deflate?: TopicDeflateOptions) {
    this.#deflate = deflate === undefined ? undefined : new TopicDeflate(deflate);
    const limit = backpressure.limit ?? DEFAULT_TOPIC_BACKPRESSURE.limit;
    const policy = backpressure.policy ?? DEFAULT_TOPIC_BACKPRESSURE.policy;
    if (!(limit > 0)) throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'topicBackpressure.limit must be a positive number of bytes');
    if (policy !== 'skip' && policy !== 'close') {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', "topicBackpressure.policy must be 'skip' or 'close'");
    }
    this.#limit = limit;
    this.#policy = policy;
  }

  /** Topics with at least one subscriber (a snapshot). */
  get topics(): string[] {
    return [...this.#subscribers.keys()];
  }

  /** How many sessions subscribe to `topic` (0 for an unknown one). Closing sessions count until they closed. */
  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /** The subscribers of `topic` (a live, read-only view; empty when none). */
  subscribers(topic: string): ReadonlySet<Session> {
    return this.#subscribers.get(topic) ?? EMPTY;
  }

  /**
   * Send one message to every open subscriber of `topic` but `except`,
   * framing it once. Callable from anywhere (timers, HTTP handlers): it
   * needs no session. Subscribers that are closing are passed over; one at
   * or over the backpressure limit is skipped or failed with 1008 by the
   * policy, never waited for.
   *
   * @returns how many subscribers the message was queued for (0 when the
   *   topic has none): a delivery count, not an acknowledgement.
   * @throws {UsageError} `FW_ERR_INVALID_ARGUMENT` for a bad topic or data.
   */
  publish(topic: string, data: PublishData, options: PublishOptions = {}): number {
    checkTopic(topic);
    const subscribers = this.#subscribers.get(topic);
    // Check the data even when nobody listens: a bad call fails the same way always.
    const outgoing = toOutgoing(data, options.binary);
    if (subscribers === undefined) return 0;
    const except = options.except;
    const compress = options.compress === true;
    let delivered = 0;
    for (const session of subscribers) {
      if (session === except) continue;
      if (this.#deliver(session, outgoing, compress)) delivered++;
    }
    return delivered;
  }

  /**
   * Send several messages, in order, to every open subscriber of `topic` but
   * `except`: each subscriber gets exactly the bytes `messages.length`
   * {@link TopicRegistry.publish} calls would give it (same backpressure
   * limit and policy, checked before each message), but the uncompressed
   * frames are built once into one buffer and each subscriber is handed the
   * part it takes as one write. With `compress: true`, subscribers that
   * negotiated permessage-deflate get the messages one by one as
   * `publish` compresses them (each has its own deflate state).
   *
   * @returns how many messages were queued, summed over subscribers
   *   (n messages to s subscribers that all take them: n × s).
   * @throws {UsageError} `FW_ERR_INVALID_ARGUMENT` for a bad topic, a
   *   `messages` that is not an array, or bad data in it.
   */
  publishBatch(topic: string, messages: readonly PublishData[], options: PublishOptions = {}): number {
    checkTopic(topic);
    if (!Array.isArray(messages)) throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'publishBatch() takes an array of messages');
    const count = messages.length;
    // Check the data even when nobody listens; no object per message unless one goes one by one.
    const opcodes = new Uint8Array(count);
    const payloads: Uint8Array[] = new Array<Uint8Array>(count);
    for (let i = 0; i < count; i++) {
      const data = messages[i]!;
      const fromString = typeof data === 'string';
      opcodes[i] = (options.binary === undefined ? fromString : !options.binary) ? Opcode.Text : Opcode.Binary;
      payloads[i] = fromString ? textEncoder.encode(data) : toBytes(data);
    }
    const subscribers = this.#subscribers.get(topic);
    if (subscribers === undefined || count === 0) return 0;
    const outgoing: Outgoing[] = [];
    const outgoingAt = (i: number): Outgoing =>
      (outgoing[i] ??= { text: opcodes[i] === Opcode.Text, payload: payloads[i]!, fromString: typeof messages[i] === 'string' });
    const except = options.except;
    const compress = options.compress === true;
    let batch: PreparedBatch | undefined;
    let delivered = 0;
    for (const session of subscribers) {
      if (session === except || session.readyState !== 1) continue;
      if (!(compress && session.extensions !== '')) {
        batch ??= prepareBatch(opcodes, payloads);
        // Message i goes out while the subscriber is below the limit before it, as `count` publishes decide.
        const room = this.#limit - session.bufferedAmount;
        const ends = batch.ends;
        let take = 0;
        while (take < count && (take === 0 ? 0 : ends[take - 1]!) < room) take++;
        const sent = session[sendPreparedBatch](batch, take);
        if (sent >= 0) {
          delivered += sent;
          // Only when the messages before did queue (none does during its own fragmented send, so none reaches the limit).
          if (take < count && sent === take && session.readyState === 1 && this.#policy === 'close') session[failSlowSubscriber]();
          continue;
        }
      }
      // One by one: a deflate subscriber with compress, or frames waiting behind its extension.
      for (let i = 0; i < count; i++) if (this.#deliver(session, outgoingAt(i), compress, batch?.message(i))) delivered++;
    }
    return delivered;
  }

  /**
   * One message to one subscriber, as a publish decides: passed over when
   * not open, skipped or failed at the backpressure limit, compressed when
   * asked and its deflate allows, else the shared frame.
   */
  #deliver(session: Session, outgoing: Outgoing, compress: boolean, prepared?: PreparedMessage): boolean {
    if (session.readyState !== 1) return false;
    if (session.bufferedAmount >= this.#limit) {
      if (this.#policy === 'close') session[failSlowSubscriber]();
      return false;
    }
    const { text, payload } = outgoing;
    if (compress && session.extensions !== '') {
      // The compressed paths hold the bytes while deflate runs: one private copy for all.
      const owned = (outgoing.owned ??= outgoing.fromString ? payload : payload.slice());
      const window = this.#windowOf(session);
      // Context takeover: only its own deflater may compress (its window, its threshold).
      if (window === undefined) return sendOwn(session, owned, text);
      const deflate = this.#deflate;
      if (deflate !== undefined && owned.length >= deflate.threshold) {
        // One deflate per window size per message.
        const deflated = (outgoing.deflated ??= new Map());
        let bytes = deflated.get(window);
        if (bytes === undefined) deflated.set(window, (bytes = compressOnce(deflate, owned, window)));
        return session[sendDeflatedMessage](text ? Opcode.Text : Opcode.Binary, owned, bytes);
      }
    }
    const message = (outgoing.message ??= prepared ?? prepareMessage(text ? Opcode.Text : Opcode.Binary, payload));
    return session[sendPreparedMessage](message);
  }

  /** Release the shared deflaters (the server closed); they come back on the next compressed publish. */
  dispose(): void {
    this.#deflate?.dispose();
  }

  #windowOf(session: Session): number | undefined {
    let window = this.#windows.get(session);
    if (window === undefined) {
      window = sharedDeflateWindow(session.extensions) ?? null;
      this.#windows.set(session, window);
    }
    return window ?? undefined;
  }

  /**
   * Be told when a topic gets its first subscriber (`active: true`) and when
   * it loses its last (`false`): how a server keeps its broker subscriptions
   * to exactly the topics it has subscribers for. One watcher; a second call
   * replaces the first.
   */
  watch(watcher: (topic: string, active: boolean) => void): void {
    this.#watcher = watcher;
  }

  /** @internal Called by `Session.subscribe`: adds the entry, creating the topic. */
  add(session: Session, topic: string): void {
    let set = this.#subscribers.get(topic);
    if (set === undefined) {
      this.#subscribers.set(topic, (set = new Set()));
      this.#watcher?.(topic, true);
    }
    set.add(session);
  }

  /** @internal Called by `Session.unsubscribe` and on close: removes the entry, freeing an empty topic. */
  remove(session: Session, topic: string): void {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return;
    set.delete(session);
    if (set.size === 0) {
      this.#subscribers.delete(topic);
      this.#watcher?.(topic, false);
    }
  }
}

const EMPTY: ReadonlySet<Session> = new Set();

/** One message of a publish, with what its subscribers share, made when first needed. */
interface Outgoing {
  readonly text: boolean;
  readonly payload: Uint8Array;
  /** The payload was encoded from a string here: already a private copy. */
  readonly fromString: boolean;
  message?: PreparedMessage;
  owned?: Uint8Array;
  deflated?: Map<number, Uint8Array | Promise<Uint8Array>>;
}

function toOutgoing(data: PublishData, binary: boolean | undefined): Outgoing {
  const fromString = typeof data === 'string';
  return { text: binary === undefined ? fromString : !binary, payload: fromString ? textEncoder.encode(data) : toBytes(data), fromString };
}


/**
 * The shared deflate of one publish. An engine that throws (a bug, not
 * input) fails each subscriber that was to get the bytes with 1011, as its
 * own encode would; the rejection is marked handled so a publish that ends
 * up queuing it nowhere cannot end the process.
 */
function compressOnce(deflate: TopicDeflate, payload: Uint8Array, window: number): Uint8Array | Promise<Uint8Array> {
  try {
    return deflate.compress(payload, window);
  } catch (error) {
    const failed = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    failed.catch(() => {});
    return failed;
  }
}

/** `session.send` for one subscriber; false when it cannot take a message now (a fragmented send of its own in progress). */
function sendOwn(session: Session, payload: Uint8Array, text: boolean): boolean {
  try {
    session.send(payload, { binary: !text });
    return true;
  } catch (error) {
    if (error instanceof UsageError) return false;
    throw error;
  }
}
