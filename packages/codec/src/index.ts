/**
 * @framewire/codec: a sans-I/O WebSocket protocol core (RFC 6455, RFC 7692).
 *
 * Bytes in, events and bytes out. No sockets, no timers, no clock: adapters
 * for Node, Deno and Bun (and any transport you bring) drive it.
 *
 * @packageDocumentation
 */
export { Opcode, isControlOpcode, isKnownOpcode } from './opcode.js';
export { CloseCode, isValidApiCloseCode, isValidWireCloseCode } from './close-code.js';
export { ProtocolError, UsageError } from './errors.js';
export type { ProtocolErrorCode, UsageErrorCode } from './errors.js';
export { defaultRandomSource } from './random.js';
export type { RandomSource } from './random.js';
