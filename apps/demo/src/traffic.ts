/**
 * What the page's counters show: messages and payload bytes per second
 * (chat and echo, both directions, averaged over the last 5 s) and the close
 * codes of the connections that ended. Everything is bounded: one bucket per
 * second for the last few seconds, and the newest closes only.
 *
 * @module
 */

/** One ended connection, as the page lists it. */
export interface CloseEntry {
  /** '/chat' or '/echo'. */
  readonly path: string;
  readonly code: number;
  readonly reason: string;
  /** Ms since the epoch. */
  readonly at: number;
}

/** A snapshot of the counters (sent to the page once a second). */
export interface TrafficSnapshot {
  /** Messages in and out per second, over the last {@link RATE_WINDOW_SECONDS} whole seconds. */
  readonly messagesPerSecond: number;
  /** Payload bytes in and out per second, over the same window. */
  readonly bytesPerSecond: number;
  /** Messages in and out since the server started. */
  readonly messagesTotal: number;
  /** Newest first, at most {@link MAX_CLOSES}. */
  readonly closes: readonly CloseEntry[];
}

/** How many ended connections the list keeps. */
export const MAX_CLOSES = 20;

/** Seconds the per-second rates average over (short bursts stay visible for a while). */
export const RATE_WINDOW_SECONDS = 5;

/** Counts traffic in one-second buckets on a clock it is given (so tests can drive it). */
export class Traffic {
  readonly #now: () => number;
  readonly #closes: CloseEntry[] = [];
  /** The last {@link RATE_WINDOW_SECONDS} whole seconds, newest first. */
  #done: Array<{ messages: number; bytes: number }> = [];
  #second = -1;
  #current = { messages: 0, bytes: 0 };
  #total = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Count one message of `bytes` payload bytes (either direction). */
  message(bytes: number): void {
    this.#roll();
    this.#current.messages++;
    this.#current.bytes += bytes;
    this.#total++;
  }

  /** Remember an ended connection; the oldest falls off past {@link MAX_CLOSES}. */
  closed(entry: CloseEntry): void {
    this.#closes.unshift(entry);
    if (this.#closes.length > MAX_CLOSES) this.#closes.length = MAX_CLOSES;
  }

  /** The counters now. */
  snapshot(): TrafficSnapshot {
    this.#roll();
    const sum = this.#done.reduce((acc, bucket) => ({ messages: acc.messages + bucket.messages, bytes: acc.bytes + bucket.bytes }), { messages: 0, bytes: 0 });
    return {
      messagesPerSecond: Math.round(sum.messages / RATE_WINDOW_SECONDS),
      bytesPerSecond: Math.round(sum.bytes / RATE_WINDOW_SECONDS),
      messagesTotal: this.#total,
      closes: [...this.#closes],
    };
  }

  // A new second files the current bucket; quiet seconds in between count as zeros.
  #roll(): void {
    const second = Math.floor(this.#now() / 1000);
    if (second === this.#second) return;
    if (this.#second >= 0) {
      const gap = Math.min(second - this.#second - 1, RATE_WINDOW_SECONDS);
      this.#done.unshift(...Array.from({ length: gap }, () => ({ messages: 0, bytes: 0 })), this.#current);
      this.#done.length = Math.min(this.#done.length, RATE_WINDOW_SECONDS);
    }
    this.#current = { messages: 0, bytes: 0 };
    this.#second = second;
  }
}
