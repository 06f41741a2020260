/**
 * A {@link TopicLog} over Redis Streams: durable (as far as the Redis server
 * persists), shared by every hub on that Redis.
 *
 * @module
 */
import { ErrorReply, RESP_TYPES } from 'redis';
import { BrokerUnavailableError, unavailable } from './errors.js';
import { redisClient, type RedisClient, type RedisConnectionOptions } from './redis-options.js';
import { compareStreamIds, parseStreamId } from './redis-stream-id.js';
import type { LoggedMessage, TopicLog } from './topic-log.js';

/** Options of {@link RedisStreamLog}. */
export interface RedisStreamLogOptions extends RedisConnectionOptions {
  /** Entries kept per topic, about (`XADD … MAXLEN ~ N`: Redis trims in whole nodes, so a few more may stay). Default 1000. */
  maxLength?: number;
}

/** What XRANGE answers with blob strings as Buffers: `[id, [field, value, …]]` per entry. */
type RawEntry = [Buffer, Buffer[]];

/**
 * One Redis stream per topic (key = prefix + topic); each message is an
 * entry `d` (the bytes) `b` (`1` when binary) and its id is the entry id
 * Redis gave it (`1733230000000-0`). `read(topic, since)` is
 * `XRANGE key (since + COUNT limit`, so a reader that comes back with its
 * last id gets exactly what came after it, in order, as long as it is still
 * kept. Calls made while Redis is away reject at once with a
 * {@link BrokerUnavailableError}.
 *
 * @example
 * ```ts
 * const log = new RedisStreamLog({ url: 'redis://127.0.0.1:6379', maxLength: 500 });
 * const id = await log.append('news', new TextEncoder().encode('hello'), false);
 * const missed = await log.read('news', lastSeenId, 100);
 * ```
 */
export class RedisStreamLog implements TopicLog {
  readonly #prefix: string;
  readonly #maxLength: number;
  readonly #client;
  readonly #connecting: Promise<void>;
  #closed = false;

  constructor(options: RedisStreamLogOptions) {
    this.#prefix = options.prefix ?? 'framewire:';
    this.#maxLength = options.maxLength ?? 1000;
    if (!Number.isInteger(this.#maxLength) || this.#maxLength < 1) throw new RangeError(`maxLength must be a whole number ≥ 1, got ${this.#maxLength}`);
    const client: RedisClient = redisClient(options, false);
    this.#client = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    this.#connecting = client.connect().then(
      () => undefined,
      (error: unknown) => {
        throw unavailable('Redis', error);
      },
    );
    this.#connecting.catch(() => undefined);
  }

  /** Resolves once connected (the first time). */
  ready(): Promise<void> {
    return this.#connecting;
  }

  /** Connected now. */
  get connected(): boolean {
    return this.#client.isReady;
  }

  /** `XADD`s the message to `topic`'s stream (trimming it to about `maxLength`); resolves with the entry id. */
  async append(topic: string, data: Uint8Array, binary: boolean): Promise<string> {
    const reply = await this.#command<Buffer>(['XADD', this.#prefix + topic, 'MAXLEN', '~', String(this.#maxLength), '*', 'd', Buffer.from(data), 'b', binary ? '1' : '0']);
    return reply.toString();
  }

  /** See {@link TopicLog.read}: `XRANGE` after `since` (exclusive), or the newest `limit` via `XREVRANGE`. */
  async read(topic: string, since: string | undefined, limit: number): Promise<LoggedMessage[]> {
    const count = Math.max(0, Math.floor(limit));
    if (count === 0) return [];
    const key = this.#prefix + topic;
    if (since === undefined) {
      const newest = await this.#command<RawEntry[]>(['XREVRANGE', key, '+', '-', 'COUNT', String(count)]);
      return newest.reverse().map((entry) => this.#message(topic, entry));
    }
    if (parseStreamId(since) === undefined) throw new TypeError(`not a Redis stream id: ${JSON.stringify(since)}`);
    // `(` makes the start exclusive (Redis ≥ 6.2).
    const entries = await this.#command<RawEntry[]>(['XRANGE', key, `(${since}`, '+', 'COUNT', String(count)]);
    return entries.map((entry) => this.#message(topic, entry));
  }

  /** Orders two entry ids as Redis does; throws a TypeError on anything else. */
  compare(a: string, b: string): number {
    return compareStreamIds(a, b);
  }

  /** True for `<ms>-<seq>` with both halves unsigned 64-bit decimals. */
  isId(id: string): boolean {
    return parseStreamId(id) !== undefined;
  }

  /** Drops the connection; later calls reject with {@link BrokerUnavailableError}. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#client.isOpen) this.#client.destroy();
  }

  async #command<T>(args: Array<string | Buffer>): Promise<T> {
    if (this.#closed) throw new BrokerUnavailableError('RedisStreamLog is closed');
    if (!this.#client.isReady) throw new BrokerUnavailableError('Redis is unavailable: not connected');
    try {
      return (await this.#client.sendCommand(args)) as T;
    } catch (error) {
      // Redis answered (a wrong-type key, say): that is not an outage.
      if (error instanceof ErrorReply) throw new Error(`Redis refused ${String(args[0])}: ${error.message}`, { cause: error });
      throw unavailable('Redis', error);
    }
  }

  #message(topic: string, [id, fields]: RawEntry): LoggedMessage {
    let data: Uint8Array = new Uint8Array(0);
    let binary = false;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]!.toString();
      if (name === 'd') data = new Uint8Array(fields[i + 1]!);
      else if (name === 'b') binary = fields[i + 1]!.toString() === '1';
    }
    return { id: id.toString(), topic, data, binary };
  }
}
