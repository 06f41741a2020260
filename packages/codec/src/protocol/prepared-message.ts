/**
 * A whole data message encoded once as a server frame, to be written to many
 * connections (topic fan-out). Server frames are never masked (RFC 6455
 * §5.1), so the same bytes are valid on every connection that negotiated the
 * same extension state for them.
 *
 * @module
 */
import { UsageError } from './errors.js';
import { frameHeaderSize, writeFrameHeader } from './frame.js';
import { Opcode } from './opcode.js';

/** A data message already framed for the server→client direction; see {@link prepareMessage}. */
export interface PreparedMessage {
  /** {@link Opcode.Text} or {@link Opcode.Binary}. */
  readonly opcode: number;
  /** The payload as sent: compressed when `rsv1` is set. */
  readonly payload: Uint8Array;
  /** RFC 7692 §6: set when `payload` is a permessage-deflate message. */
  readonly rsv1: boolean;
  /** Header and payload in one buffer, FIN set, unmasked. Never modified after preparation. */
  readonly frame: Uint8Array;
}

/**
 * Frames one whole message for writing to many server-side connections
 * (`Connection.sendPrepared`). The payload is copied into the frame, so the
 * caller may reuse it afterwards. `rsv1: true` marks a payload that is
 * already DEFLATE-compressed (RFC 7692 §7.2.1, trailer removed).
 *
 * @throws {UsageError} `FW_ERR_INVALID_ARGUMENT` for an opcode other than text or binary.
 *
 * @example
 * ```ts
 * const message = prepareMessage(Opcode.Text, new TextEncoder().encode('hello'));
 * for (const connection of subscribers) connection.sendPrepared(message);
 * ```
 */
export function prepareMessage(opcode: number, payload: Uint8Array, rsv1 = false): PreparedMessage {
  if (opcode !== Opcode.Text && opcode !== Opcode.Binary) {
    throw new UsageError('FW_ERR_INVALID_ARGUMENT', 'a prepared message is text or binary');
  }
  // A buffer of its own, not the slab behind small frames: these bytes stay
  // referenced by many connections' output queues for a while.
  const headerSize = frameHeaderSize(payload.length, false);
  const frame = new Uint8Array(headerSize + payload.length);
  writeFrameHeader(frame, 0, { opcode, rsv1, payloadLength: payload.length }); // FIN, no mask
  frame.set(payload, headerSize);
  return Object.freeze({ opcode, payload: frame.subarray(headerSize), rsv1, frame });
}
