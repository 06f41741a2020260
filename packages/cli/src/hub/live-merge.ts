/**
 * Joining history and live delivery for `?since=ID` with no gap and no
 * duplicate. The hub subscribes the client to live messages first and
 * buffers them here, then reads the history after ID, then calls
 * {@link LiveMerge.finish}: history and the buffered live messages as one
 * list, each id once and in id order. From then
 * on {@link LiveMerge.push} passes on only ids after the last one delivered.
 *
 * @module
 */

/** Anything with a log id. */
export interface HasId {
  readonly id: string;
}

/** Buffers live messages until the history read is done; see the module comment. */
export class LiveMerge<M extends HasId> {
  readonly #compare: (a: string, b: string) => number;
  readonly #maxBuffered: number;
  #buffer: M[] | undefined = [];
  #last: string | undefined;

  /**
   * @param compare the log's id order.
   * @param since the id the client saw last (nothing at or before it is delivered).
   * @param maxBuffered most live messages held while the history read runs.
   */
  constructor(compare: (a: string, b: string) => number, since: string, maxBuffered: number) {
    this.#compare = compare;
    this.#last = since;
    this.#maxBuffered = maxBuffered;
  }

  /** Is the history read still running (live messages are held)? */
  get pending(): boolean {
    return this.#buffer !== undefined;
  }

  /** The last id delivered (or `since` when none yet). */
  get last(): string | undefined {
    return this.#last;
  }

  /**
   * A live message arrived. While pending it is held and `[]` returned
   * (`undefined` when the buffer is full: the caller drops the client);
   * after {@link LiveMerge.finish} it is returned when it is new.
   */
  push(message: M): M[] | undefined {
    if (this.#buffer !== undefined) {
      if (this.#buffer.length >= this.#maxBuffered) return undefined;
      this.#buffer.push(message);
      return [];
    }
    return this.#accept(message) ? [message] : [];
  }

  /** The history read returned `history` (oldest first): what to deliver now, in order. */
  finish(history: readonly M[]): M[] {
    const buffered = this.#buffer ?? [];
    this.#buffer = undefined;
    // One sorted union, not history-then-live: when the log dropped old
    // messages, live ones may be older than the first kept one. Live arrivals
    // from several hubs may also come out of id order. The sort is stable.
    const all = [...history, ...buffered].sort((a, b) => this.#compare(a.id, b.id));
    const out: M[] = [];
    for (const message of all) if (this.#accept(message)) out.push(message);
    return out;
  }

  #accept(message: M): boolean {
    if (this.#last !== undefined && this.#compare(message.id, this.#last) <= 0) return false;
    this.#last = message.id;
    return true;
  }
}
