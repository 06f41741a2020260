/** A received message as the application sees it: text as a string, binary per `binaryType`. */
export type SessionMessage = string | Uint8Array | ArrayBuffer;

/** Receive-side limits of the {@link Inbox}. */
export interface InboxLimits {
  /** Unconsumed messages at which reading pauses. */
  readonly highWaterMessages: number;
  /** Unconsumed bytes at which reading pauses. */
  readonly highWaterBytes: number;
}

interface Held {
  readonly data: SessionMessage;
  readonly isBinary: boolean;
  readonly size: number;
}

interface Waiter {
  readonly iterator: object;
  readonly resolve: (result: IteratorResult<SessionMessage, undefined>) => void;
}

/**
 * The receive side of a session: messages not yet consumed by the
 * application, the async iterators reading them, and the promises of
 * message listeners that have not settled. It decides when reading from the
 * transport must pause (receive-side backpressure) and when it may resume:
 * pause at the high-water marks, resume at half of them, so that a consumer
 * near the limit does not flap the transport on every message.
 */
export class Inbox {
  readonly #queue: Held[] = [];
  #queuedBytes = 0;
  #pendingCount = 0;
  #pendingBytes = 0;
  #iterators = 0;
  #waiters: Waiter[] = [];
  #closed = false;
  #paused = false;

  constructor(
    private readonly limits: InboxLimits,
    /** Told when reading should pause (`true`) or resume (`false`). */
    private readonly onFlow: (paused: boolean) => void,
  ) {}

  /** Is at least one async iterator open? */
  get iterating(): boolean {
    return this.#iterators > 0;
  }
  /** Messages held (not yet taken by an iterator or a listener). */
  get size(): number {
    return this.#queue.length;
  }
  /** Unconsumed messages: held plus those whose listener promise is pending. */
  get unconsumedMessages(): number {
    return this.#queue.length + this.#pendingCount;
  }
  /** Unconsumed bytes (text counted in UTF-16 units). */
  get unconsumedBytes(): number {
    return this.#queuedBytes + this.#pendingBytes;
  }
  /** Is reading paused by this inbox? */
  get paused(): boolean {
    return this.#paused;
  }

  /** Hold a message for an iterator (handed straight to a waiting one) or for a future listener. */
  push(data: SessionMessage, isBinary: boolean, size: number): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ done: false, value: data });
      return;
    }
    this.#queue.push({ data, isBinary, size });
    this.#queuedBytes += size;
    this.#update();
  }

  /** Take the oldest held message (for a listener that was added late). */
  shift(): { data: SessionMessage; isBinary: boolean } | undefined {
    const held = this.#queue.shift();
    if (held === undefined) return undefined;
    this.#queuedBytes -= held.size;
    this.#update();
    return held;
  }

  /** Count a listener's pending promise as unconsumed until it settles; `onRejected` gets its rejection. */
  track(promise: PromiseLike<unknown>, size: number, onRejected: (error: unknown) => void): void {
    this.#pendingCount++;
    this.#pendingBytes += size;
    this.#update();
    const settle = (): void => {
      this.#pendingCount--;
      this.#pendingBytes -= size;
      this.#update();
    };
    promise.then(settle, (error: unknown) => {
      settle();
      onRejected(error);
    });
  }

  /** No more messages will come: iterators end once the held ones are taken. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.resolve({ done: true, value: undefined });
  }

  /**
   * A new async iterator over the held and future messages. Several
   * iterators share one queue (each message goes to one of them). Leaving a
   * `for await` loop early (`return()`) stops this iterator without closing
   * the session; later messages are held again.
   */
  iterator(): AsyncIterableIterator<SessionMessage, undefined> {
    let done = false;
    this.#iterators++;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.#iterators--;
      const mine = this.#waiters.filter((w) => w.iterator === it);
      this.#waiters = this.#waiters.filter((w) => w.iterator !== it);
      for (const w of mine) w.resolve({ done: true, value: undefined });
    };
    const it: AsyncIterableIterator<SessionMessage, undefined> = {
      next: () => {
        if (done) return Promise.resolve({ done: true, value: undefined });
        const held = this.shift();
        if (held !== undefined) return Promise.resolve({ done: false, value: held.data });
        if (this.#closed) {
          finish();
          return Promise.resolve({ done: true, value: undefined });
        }
        return new Promise((resolve) => this.#waiters.push({ iterator: it, resolve }));
      },
      return: () => {
        finish();
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  #update(): void {
    const { highWaterMessages, highWaterBytes } = this.limits;
    const messages = this.unconsumedMessages;
    const bytes = this.unconsumedBytes;
    if (!this.#paused) {
      if (messages >= highWaterMessages || bytes >= highWaterBytes) {
        this.#paused = true;
        this.onFlow(true);
      }
    } else if (messages <= Math.floor(highWaterMessages / 2) && bytes <= highWaterBytes / 2) {
      this.#paused = false;
      this.onFlow(false);
    }
  }
}
