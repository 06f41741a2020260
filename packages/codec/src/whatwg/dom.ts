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
