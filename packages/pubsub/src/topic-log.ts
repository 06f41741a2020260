/**
 * A {@link TopicLog} gives each published message an id and keeps the last
 * messages of each topic, so that a subscriber that comes back can ask for
 * what it missed (`?since=ID` on the hub). The in-memory log is the embedded
 * default; Redis Streams and NATS JetStream logs share this interface.
 *
 * Ids are opaque strings to callers; only the log that made them can order
 * them ({@link TopicLog.compare}).
 *
 * @module
 */

/** One message as the log holds it. */
export interface LoggedMessage {
  /** The id the log gave it: unique per topic, increasing in append order. */
  readonly id: string;
  readonly topic: string;
  /** The payload: UTF-8 text when `binary` is false. */
  readonly data: Uint8Array;
  readonly binary: boolean;
}

/** What a hub needs of a message history. Every method may reject (the log's store is gone); none throws synchronously. */
export interface TopicLog {
  /** Keep `data` as `topic`'s newest message; resolves with its id. */
  append(topic: string, data: Uint8Array, binary: boolean): Promise<string>;
  /**
   * Up to `limit` messages of `topic` that came after `since` (not `since`
   * itself), oldest first. Without `since`, the newest `limit` messages,
   * oldest first. A `since` older than what is kept returns what is kept.
   */
  read(topic: string, since: string | undefined, limit: number): Promise<LoggedMessage[]>;
  /** Negative, zero or positive as `a` came before, is, or came after `b`. Throws a TypeError on an id this log could not have made. */
  compare(a: string, b: string): number;
  /** True when `id` is shaped like an id of this log (for checking `?since=` before use). */
  isId(id: string): boolean;
  /** Release connections and timers. */
  close(): Promise<void>;
}

/** Options of {@link MemoryLog}. */
export interface MemoryLogOptions {
  /** Messages kept per topic; older ones are dropped. Default 1000; 0 keeps none (ids are still given). */
  maxLength?: number;
  /** Topics kept at most; the least recently written topic is dropped past it. Default 10000. */
  maxTopics?: number;
}

const ID_PATTERN = /^(0|[1-9]\d{0,15})$/;

/**
 * The embedded log: per-topic ring of the last `maxLength` messages, ids are
 * decimal sequence numbers shared by all topics of the process (so a `since`
 * from another topic is still ordered), starting at 1.
 *
 * @example
 * ```ts
 * const log = new MemoryLog({ maxLength: 100 });
 * const id = await log.append('news', new TextEncoder().encode('hi'), false);
 * const missed = await log.read('news', undefined, 10); // [{ id, topic: 'news', … }]
 * ```
 */
export class MemoryLog implements TopicLog {
  readonly #maxLength: number;
  readonly #maxTopics: number;
  /** Map order is write recency: a written topic is moved to the end. */
  readonly #topics = new Map<string, LoggedMessage[]>();
  #next = 1;

  constructor(options: MemoryLogOptions = {}) {
    this.#maxLength = options.maxLength ?? 1000;
    this.#maxTopics = options.maxTopics ?? 10_000;
    if (!Number.isInteger(this.#maxLength) || this.#maxLength < 0) throw new RangeError(`maxLength must be a whole number ≥ 0, got ${this.#maxLength}`);
    if (!Number.isInteger(this.#maxTopics) || this.#maxTopics < 1) throw new RangeError(`maxTopics must be a whole number ≥ 1, got ${this.#maxTopics}`);
  }

  append(topic: string, data: Uint8Array, binary: boolean): Promise<string> {
    const id = String(this.#next++);
    if (this.#maxLength === 0) return Promise.resolve(id);
    let list = this.#topics.get(topic);
    if (list === undefined) list = [];
    else this.#topics.delete(topic);
    this.#topics.set(topic, list);
    // Copy: the caller may reuse its buffer.
    list.push({ id, topic, data: data.slice(), binary });
    if (list.length > this.#maxLength) list.splice(0, list.length - this.#maxLength);
    if (this.#topics.size > this.#maxTopics) {
      const oldest = this.#topics.keys().next().value as string;
      this.#topics.delete(oldest);
    }
    return Promise.resolve(id);
  }

  read(topic: string, since: string | undefined, limit: number): Promise<LoggedMessage[]> {
    const list = this.#topics.get(topic) ?? [];
    const max = Math.max(0, Math.floor(limit));
    if (since === undefined) return Promise.resolve(max === 0 ? [] : list.slice(-max));
    const after = this.#seq(since);
    // Ids increase along the list: find the first one after `since`.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#seq(list[mid]!.id) <= after) lo = mid + 1;
      else hi = mid;
    }
    return Promise.resolve(list.slice(lo, lo + max));
  }

  compare(a: string, b: string): number {
    return this.#seq(a) - this.#seq(b);
  }

  isId(id: string): boolean {
    return ID_PATTERN.test(id) && Number(id) <= Number.MAX_SAFE_INTEGER;
  }

  close(): Promise<void> {
    this.#topics.clear();
    return Promise.resolve();
  }

  #seq(id: string): number {
    if (!this.isId(id)) throw new TypeError(`not a MemoryLog id: ${JSON.stringify(id)}`);
    return Number(id);
  }
}
