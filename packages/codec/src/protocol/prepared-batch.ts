/**
 * Many whole data messages framed once, back to back in one buffer, for a
 * topic fan-out that writes a burst (a program's stdout chunk of lines) to
 * every subscriber as one write instead of one frame per message.
 *
 * @module
 */
import { frameHeaderSize, writeFrameHeader } from './frame.js';
import { Opcode } from './opcode.js';
import type { PreparedMessage } from './prepared-message.js';

/** Server frames of several messages in one buffer; see {@link prepareBatch}. */
export interface PreparedBatch {
  /** How many messages. */
  readonly count: number;
  /** Every message's frame (FIN set, unmasked, no RSV bit), in order, in one buffer. */
  readonly frames: Uint8Array;
  /** `ends[i]`: the offset in `frames` just past message `i`'s frame (so message `i` starts at `ends[i - 1]`, or 0). */
  readonly ends: Float64Array;
  /** Message `i` alone (a view on `frames`, no copy), for a subscriber that must take messages one at a time. */
  message(index: number): PreparedMessage;
}

/**
 * Frames whole messages (`opcodes[i]` is {@link Opcode.Text} or
 * {@link Opcode.Binary}) into one buffer. The payloads are copied, so the
 * caller may reuse them afterwards. Each frame is exactly what
 * `prepareMessage(opcodes[i], payloads[i])` would make.
 */
export function prepareBatch(opcodes: ArrayLike<number>, payloads: readonly Uint8Array[]): PreparedBatch {
  const count = payloads.length;
  const ends = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    total += frameHeaderSize(payloads[i]!.length, false) + payloads[i]!.length;
    ends[i] = total;
  }
  // A buffer of its own (as prepareMessage): it stays in many output queues for a while.
  const frames = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const payload = payloads[i]!;
    const opcode = opcodes[i]!;
    if (payload.length <= 125 && (opcode === Opcode.Text || opcode === Opcode.Binary)) {
      // RFC 6455 §5.2: FIN + opcode, then the 7-bit length (no mask): the common short line, without an options object.
      frames[offset] = 0x80 | opcode;
      frames[offset + 1] = payload.length;
      offset += 2;
    } else offset += writeFrameHeader(frames, offset, { opcode, rsv1: false, payloadLength: payload.length });
    frames.set(payload, offset);
    offset += payload.length;
  }
  return Object.freeze({
    count,
    frames,
    ends,
    message(index: number): PreparedMessage {
      const start = index === 0 ? 0 : ends[index - 1]!;
      const frame = frames.subarray(start, ends[index]!);
      const payload = frame.subarray(frame.length - payloads[index]!.length);
      return Object.freeze({ opcode: opcodes[index]!, payload, rsv1: false, frame });
    },
  });
}
