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
  #listeners = new Map<keyof E, Entry[]>();

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
    const list = this.#listeners.get(event);
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
    return this.#listeners.get(event)?.length ?? 0;
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
    const list = this.#listeners.get(event);
    if (list === undefined || list.length === 0) return;
    for (const entry of list.slice()) {
      if (entry.once) {
        const i = list.indexOf(entry);
        if (i < 0) continue; // removed by an earlier listener
        list.splice(i, 1);
      }
      let result: unknown;
      try {
        result = (entry.fn as (...a: Parameters<E[K]>) => unknown)(...args);
      } catch (error) {
        this.reportListenerError(error, event);
        continue;
      }
      if (onResult !== undefined) onResult(result);
    }
  }

  #add<K extends keyof E>(event: K, listener: E[K], once: boolean): this {
    let list = this.#listeners.get(event);
    if (list === undefined) {
      list = [];
      this.#listeners.set(event, list);
    }
    list.push({ fn: listener, once });
    this.listenerAdded(event);
    return this;
  }
}
