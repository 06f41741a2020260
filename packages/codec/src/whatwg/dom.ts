/**
 * The DOM pieces the WHATWG shapes need: `DOMException`s with the names the
 * standard gives, and `MessageEvent`/`CloseEvent` classes. Runtimes that
 * lack a global (Node 20 has no `CloseEvent`) get a small spec-shaped
 * subclass of `Event`, so `event.code` reads the same everywhere.
 *
 * @module
 */

/** A `DOMException` named `name` (`SyntaxError`, `InvalidStateError`, `InvalidAccessError`...). */
export function domException(name: string, message: string): DOMException {
  return new DOMException(message, name);
}

/** Init of a {@link CloseEventShape}, as in the HTML standard's `CloseEventInit`. */
export interface CloseEventInitShape extends EventInit {
  wasClean?: boolean;
  code?: number;
  reason?: string;
}

/** The `close` event of a WebSocket: `wasClean`, `code`, `reason`. */
export interface CloseEventShape extends Event {
  readonly wasClean: boolean;
  readonly code: number;
  readonly reason: string;
}

/** Init of a `message` event: the data and the origin of the connection. */
export interface MessageEventInitShape extends EventInit {
  data?: unknown;
  origin?: string;
}

/** The `message` event of a WebSocket: `data` (string, Blob or ArrayBuffer) and `origin`. */
export interface MessageEventShape extends Event {
  readonly data: unknown;
  readonly origin: string;
  readonly lastEventId: string;
}

/** A `CloseEvent` for runtimes without the global (HTML standard, `CloseEvent` interface). */
class FallbackCloseEvent extends Event implements CloseEventShape {
  readonly #init: CloseEventInitShape;
  constructor(type: string, init: CloseEventInitShape = {}) {
    super(type, init);
    this.#init = init;
  }
  get wasClean(): boolean {
    return this.#init.wasClean ?? false;
  }
  get code(): number {
    return this.#init.code ?? 0;
  }
  get reason(): string {
    return this.#init.reason ?? '';
  }
}

/** A `MessageEvent` for runtimes without the global. */
class FallbackMessageEvent extends Event implements MessageEventShape {
  readonly #init: MessageEventInitShape;
  constructor(type: string, init: MessageEventInitShape = {}) {
    super(type, init);
    this.#init = init;
  }
  get data(): unknown {
    return this.#init.data ?? null;
  }
  get origin(): string {
    return this.#init.origin ?? '';
  }
  get lastEventId(): string {
    return '';
  }
}

type EventClass<I, E> = new (type: string, init?: I) => E;
const globals = globalThis as { CloseEvent?: unknown; MessageEvent?: unknown };

/** The runtime's `CloseEvent` where it has one, else a spec-shaped subclass of `Event`. */
export const CloseEventClass: EventClass<CloseEventInitShape, CloseEventShape> =
  typeof globals.CloseEvent === 'function' ? (globals.CloseEvent as EventClass<CloseEventInitShape, CloseEventShape>) : FallbackCloseEvent;

/** The runtime's `MessageEvent` where it has one, else a spec-shaped subclass of `Event`. */
export const MessageEventClass: EventClass<MessageEventInitShape, MessageEventShape> =
  typeof globals.MessageEvent === 'function'
    ? (globals.MessageEvent as EventClass<MessageEventInitShape, MessageEventShape>)
    : FallbackMessageEvent;

/**
 * A `message` event built cheaply, once per received message: a plain
 * `Event` carrying the fields, whose prototype chain includes the runtime's
 * `MessageEvent.prototype` (so `instanceof MessageEvent` holds). The
 * runtime's own constructor parses an init dictionary and its getters
 * check internal slots, which costs more than the message itself on small
 * messages. `source` is null and `ports` empty, as for every WebSocket.
 */
class FastMessageEvent extends Event {
  readonly #data: unknown;
  readonly #origin: string;
  constructor(data: unknown, origin: string) {
    super('message');
    this.#data = data;
    this.#origin = origin;
  }
  get data(): unknown {
    return this.#data;
  }
  get origin(): string {
    return this.#origin;
  }
  get lastEventId(): string {
    return '';
  }
  get source(): null {
    return null;
  }
  get ports(): readonly unknown[] {
    return NO_PORTS;
  }
}
const NO_PORTS: readonly unknown[] = Object.freeze([]);
if (typeof globals.MessageEvent === 'function') {
  Object.setPrototypeOf(FastMessageEvent.prototype, (globals.MessageEvent as { prototype: object }).prototype);
}

/** A WebSocket's `message` event with `data` and `origin` (see {@link FastMessageEvent}). */
export function messageEvent(data: unknown, origin: string): MessageEventShape {
  return new FastMessageEvent(data, origin) as unknown as MessageEventShape;
}
