/** A listener map: event name → listener signature. */
export type EventMap<E> = { [K in keyof E]: (...args: never[]) => unknown };

interface Entry {
  readonly fn: (...args: never[]) => unknown;
  readonly once: boolean;
}

/**
 * A small typed event emitter (`on`/`off`/`once`) with no runtime
 * dependency, so the session layer loads unchanged everywhere.
 *
 * Listener exceptions never propagate into the emitter's caller: they go to
 * {@link TypedEmitter.reportListenerError}, and what a listener returns is
 * handed to the caller of `emit` (the session tracks returned promises for
 * receive-side backpressure).
 */
export abstract class TypedEmitter<E extends EventMap<E>> {
  /**
   * Listener lists by event, created on the first `on`. A plain object whose
   * keys come in the same few orders (shared hidden classes) and lists
   * created at their exact size: an idle connection with a `message` and an
   * `error` listener holds about 150 bytes here, where a `Map` and two grown
   * arrays held about 550.
   */
  #listeners: { [K in keyof E]?: Entry[] } | undefined;

  /** Add `listener` for `event`. */
  on<K extends keyof E>(event: K, listener: E[K]): this {
    return this.#add(event, listener, false);
  }

  /** Add `listener` for the next `event` only. */
  once<K extends keyof E>(event: K, listener: E[K]): this {
    return this.#add(event, listener, true);
  }

  /** Remove `listener` (the most recently added registration of it) from `event`. */
  off<K extends keyof E>(event: K, listener: E[K]): this {
    const list = this.#listeners?.[event];
    if (list === undefined) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i]!.fn === listener) {
        list.splice(i, 1);
        break;
      }
    }
    return this;
  }

  /** Number of listeners for `event`. */
  listenerCount(event: keyof E): number {
    return this.#listeners?.[event]?.length ?? 0;
  }

  /**
   * The listener of `event` when there is exactly one and it is not a
   * `once` listener, for a caller that calls it directly on a hot path
   * (and reports its exceptions through {@link TypedEmitter.reportListenerError}
   * itself); `undefined` otherwise.
   */
  protected singleListener<K extends keyof E>(event: K): E[K] | undefined {
    const list = this.#listeners?.[event];
    if (list === undefined || list.length !== 1) return undefined;
    const entry = list[0]!;
    return entry.once ? undefined : (entry.fn as E[K]);
  }

  /** Called after a listener is added (e.g. to hand held messages to a new 'message' listener). */
  protected listenerAdded(_event: keyof E): void {}

  /** Called with whatever a listener threw. */
  protected abstract reportListenerError(error: unknown, event: keyof E): void;

  /**
   * Call every listener of `event` in order with `args`; `onResult` receives
   * each listener's return value. Listeners added or removed during the call
   * take effect from the next emit.
   */
  protected emit<K extends keyof E>(event: K, args: Parameters<E[K]>, onResult?: (value: unknown) => void): void {
    const list = this.#listeners?.[event];
    if (list === undefined || list.length === 0) return;
    // One listener (the usual case) needs no snapshot of the list.
    if (list.length === 1) {
      this.#call(list, list[0]!, event, args, onResult);
      return;
    }
    for (const entry of list.slice()) this.#call(list, entry, event, args, onResult);
  }

  #call<K extends keyof E>(
    list: Entry[],
    entry: Entry,
    event: K,
    args: Parameters<E[K]>,
    onResult: ((value: unknown) => void) | undefined,
  ): void {
    if (entry.once) {
      const i = list.indexOf(entry);
      if (i < 0) return; // removed by an earlier listener
      list.splice(i, 1);
    }
    let result: unknown;
    try {
      result = (entry.fn as (...a: Parameters<E[K]>) => unknown)(...args);
    } catch (error) {
      this.reportListenerError(error, event);
      return;
    }
    if (onResult !== undefined) onResult(result);
  }

  #add<K extends keyof E>(event: K, listener: E[K], once: boolean): this {
    const listeners: { [K in keyof E]?: Entry[] } = (this.#listeners ??= {});
    const entry: Entry = { fn: listener, once };
    const list = listeners[event];
    if (list === undefined) listeners[event] = [entry];
    else list.push(entry);
    this.listenerAdded(event);
    return this;
  }
}
