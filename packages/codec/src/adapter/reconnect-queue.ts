/**
 * The reconnecting client's offline send queue: messages kept in order
 * while no connection is open, bounded in count and in bytes so an
 * application that keeps sending during a long outage cannot grow memory
 * without bound.
 *
 * @module
 */
import { UsageError } from '../protocol/errors.js';

/** One queued message, as `send()` got it (bytes are not copied). */
export interface QueuedMessage {
  readonly data: string | Uint8Array;
  readonly binary: boolean | undefined;
  /** Bytes charged against the byte bound (a string's UTF-8 length). */
  readonly size: number;
}

/** Bounds of the offline queue. */
export interface SendQueueOptions {
  /** Most messages held while offline. Default 1 000; 0 disables queueing. */
  maxQueuedMessages?: number;
  /** Most bytes held while offline. Default 1 MiB. */
  maxQueuedBytes?: number;
}

/** The defaults of {@link SendQueueOptions}. */
export const DEFAULT_SEND_QUEUE = Object.freeze({ maxQueuedMessages: 1000, maxQueuedBytes: 1024 * 1024 });

/** A FIFO of messages bounded in count and bytes. */
export class SendQueue {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  #items: QueuedMessage[] = [];
  #bytes = 0;

  constructor(options: SendQueueOptions = {}) {
    this.#maxMessages = bound('maxQueuedMessages', options.maxQueuedMessages ?? DEFAULT_SEND_QUEUE.maxQueuedMessages);
    this.#maxBytes = bound('maxQueuedBytes', options.maxQueuedBytes ?? DEFAULT_SEND_QUEUE.maxQueuedBytes);
  }

  /** Messages held. */
  get length(): number {
    return this.#items.length;
  }

  /** Bytes held (as charged). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Append, unless a bound would be crossed: then nothing changes and the result is `false`. */
  push(data: string | Uint8Array, binary: boolean | undefined): boolean {
    const size = typeof data === 'string' ? utf8Length(data) : data.byteLength;
    if (this.#items.length + 1 > this.#maxMessages || this.#bytes + size > this.#maxBytes) return false;
    this.#items.push({ data, binary, size });
    this.#bytes += size;
    return true;
  }

  /** Take every message, oldest first; the queue is empty afterwards. */
  takeAll(): QueuedMessage[] {
    const items = this.#items;
    this.#items = [];
    this.#bytes = 0;
    return items;
  }

  /** Put messages back at the front (a flush stopped part way), keeping their order. */
  restore(items: readonly QueuedMessage[]): void {
    this.#items = [...items, ...this.#items];
    this.#bytes = this.#items.reduce((sum, item) => sum + item.size, 0);
  }

  /** Drop everything. */
  clear(): void {
    this.#items = [];
    this.#bytes = 0;
  }
}

function bound(name: string, value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `reconnect option ${name} must be a number ≥ 0, got ${String(value)}`);
  }
  return value;
}

/** UTF-8 length of `text` (a lone surrogate counts as U+FFFD, 3 bytes), without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
