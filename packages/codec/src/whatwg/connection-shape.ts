/**
 * The `shape` option of every adapter's `WebSocketServer`: what its
 * 'connection' event hands out for an accepted session. Browser-style code
 * (`ws.onmessage = …`) then runs on the server unchanged.
 *
 * @module
 */
import { UsageError } from '../protocol/errors.js';
import type { Session } from '../session/session.js';
import { toWebSocket, type WebSocket } from './websocket.js';
import { toWebSocketStream, type WebSocketStream } from './websocket-stream.js';

/**
 * What a server's 'connection' event hands out:
 * - `'session'` (default): the framewire `Session`;
 * - `'websocket'`: the WHATWG `WebSocket` over it (already OPEN, no `open` event);
 * - `'websocketstream'`: a `WebSocketStream` over it (`opened` resolves at once).
 */
export type ConnectionShape = 'session' | 'websocket' | 'websocketstream';

const SHAPES: readonly string[] = ['session', 'websocket', 'websocketstream'];

/**
 * The shape to use, checked (`undefined` is `'session'`).
 * @throws UsageError `FW_ERR_INVALID_ARGUMENT` for any other value.
 */
export function checkConnectionShape(shape: unknown): ConnectionShape {
  if (shape === undefined) return 'session';
  if (typeof shape !== 'string' || !SHAPES.includes(shape)) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', `shape must be 'session', 'websocket' or 'websocketstream', got ${String(shape)}`);
  }
  return shape as ConnectionShape;
}

/**
 * `session` in `shape` (`url` is what a wrapper's `url` reports, default ''). The wrappers are made with the given classes'
 * prototypes, so `instanceof` holds for the adapter's own `WebSocket` and
 * `WebSocketStream` (subclasses that only bind connect).
 */
export function shapeConnection(
  session: Session,
  shape: ConnectionShape,
  classes?: { readonly WebSocket?: { prototype: object }; readonly WebSocketStream?: { prototype: object } },
  url?: string,
): Session | WebSocket | WebSocketStream {
  const options = url !== undefined ? { url } : {};
  if (shape === 'websocket') return withPrototype(toWebSocket(session, options), classes?.WebSocket);
  if (shape === 'websocketstream') return withPrototype(toWebSocketStream(session, options), classes?.WebSocketStream);
  return session;
}

function withPrototype<T extends object>(value: T, cls: { prototype: object } | undefined): T {
  if (cls !== undefined) Object.setPrototypeOf(value, cls.prototype);
  return value;
}
