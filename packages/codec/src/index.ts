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

// Frame layer (RFC 6455 §5)
export { mask, maskInto, unmask } from './mask.js';
export {
  MAX_CONTROL_PAYLOAD,
  SINGLE_BUFFER_FRAME_LIMIT,
  encodeFrame,
  encodeFrameHeader,
  encodeFrameToBuffer,
  frameHeaderSize,
  writeFrameHeader,
} from './frame.js';
export type { EncodeFrameOptions, Frame, FrameHeader, FrameHeaderOptions } from './frame.js';
export { FrameDecoder } from './frame-decoder.js';
export type {
  FrameDataResult,
  FrameDecoderOptions,
  FrameDecoderResult,
  FrameDecoderRole,
  FrameErrorResult,
  FrameResult,
  FrameStartResult,
} from './frame-decoder.js';
