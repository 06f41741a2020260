/** A listener map: event name → listener signature. */
export type EventMap<E> = { [K in keyof E]: (...args: never[]) => unknown };

type Listener = (...args: never[]) => unknown;

/** A `once` registration: its own object, so a removal during an emit can be told apart from another registration of the same function. */
interface OnceEntry {
  readonly fn: Listener;
}

/** An event's listeners: one `on` listener is held bare, one `once` listener as its entry, two or more in a list. */
type Slot = Listener | OnceEntry | (Listener | OnceEntry)[];

const fnOf = (item: Listener | OnceEntry): Listener => (typeof item === 'function' ? item : item.fn);

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
   * Listeners by event, created on the first `on`. A plain object whose keys
   * come in the same few orders (shared hidden classes). The usual idle
   * connection has one `message` and one `error` listener: each is held as
   * the bare function (as Node's EventEmitter does), with no list and no
   * entry object, so this costs one small object per connection.
   */
  #listeners: { [K in keyof E]?: Slot | undefined } | undefined;

  /** Add `listener` for `event`. */
  on<K extends keyof E>(event: K, listener: E[K]): this {
    return this.#add(event, listener);
  }

  /** Add `listener` for the next `event` only. */
  once<K extends keyof E>(event: K, listener: E[K]): this {
    const entry: OnceEntry = { fn: listener };
    return this.#add(event, entry);
  }

  /** Remove `listener` (the most recently added registration of it) from `event`. */
  off<K extends keyof E>(event: K, listener: E[K]): this {
    const listeners = this.#listeners;
    const slot = listeners?.[event];
    if (slot === undefined) return this;
    if (!Array.isArray(slot)) {
      if (fnOf(slot) === listener) listeners![event] = undefined;
      return this;
    }
    for (let i = slot.length - 1; i >= 0; i--) {
      if (fnOf(slot[i]!) === listener) {
        slot.splice(i, 1);
        break;
      }
    }
    return this;
  }

  /** Number of listeners for `event`. */
  listenerCount(event: keyof E): number {
    const slot = this.#listeners?.[event];
    if (slot === undefined) return 0;
    return Array.isArray(slot) ? slot.length : 1;
  }

  /**
   * The listener of `event` when there is exactly one and it is not a
   * `once` listener, for a caller that calls it directly on a hot path
   * (and reports its exceptions through {@link TypedEmitter.reportListenerError}
   * itself); `undefined` otherwise.
   */
  protected singleListener<K extends keyof E>(event: K): E[K] | undefined {
    let slot = this.#listeners?.[event];
    if (Array.isArray(slot)) slot = slot.length === 1 ? slot[0] : undefined;
    return typeof slot === 'function' ? (slot as E[K]) : undefined;
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
    const listeners = this.#listeners;
    const slot = listeners?.[event];
    if (slot === undefined) return;
    if (typeof slot === 'function') {
      this.#call(slot, event, args, onResult);
      return;
    }
    if (!Array.isArray(slot)) {
      listeners![event] = undefined; // a lone `once` listener: gone before it runs
      this.#call(slot.fn, event, args, onResult);
      return;
    }
    for (const item of slot.slice()) {
      if (typeof item !== 'function') {
        const i = slot.indexOf(item);
        if (i < 0) continue; // removed by an earlier listener
        slot.splice(i, 1);
      }
      this.#call(fnOf(item), event, args, onResult);
    }
  }

  #call<K extends keyof E>(fn: Listener, event: K, args: Parameters<E[K]>, onResult: ((value: unknown) => void) | undefined): void {
    let result: unknown;
    try {
      result = (fn as (...a: Parameters<E[K]>) => unknown)(...args);
    } catch (error) {
      this.reportListenerError(error, event);
      return;
    }
    if (onResult !== undefined) onResult(result);
  }

  #add<K extends keyof E>(event: K, item: Listener | OnceEntry): this {
    const listeners: { [K in keyof E]?: Slot | undefined } = (this.#listeners ??= {});
    const slot = listeners[event];
    if (slot === undefined) listeners[event] = item;
    else if (Array.isArray(slot)) slot.push(item);
    else listeners[event] = [slot, item];
    this.listenerAdded(event);
    return this;
  }
}
