/**
 * A minimal abort signal for the reconnecting client's connect attempts: the
 * codec has no `AbortController` (ARCHITECTURE.md: no runtime globals), and
 * `close()` must be able to stop an attempt in flight.
 *
 * @module
 */
import type { AbortSignalLike } from './adapter-options.js';

/** An {@link AbortSignalLike} the owner fires with {@link AttemptAbort.abort}. */
export class AttemptAbort implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  readonly #listeners = new Set<() => void>();

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.#listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.#listeners.delete(listener);
  }

  /** Fire once; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }
}
