/**
 * The bytes a {@link BrokerMessage} travels as between servers, the same on
 * Redis and NATS:
 *
 * ```text
 * offset 0   u8    version (1)
 *        1   u8    flags: bit 0 binary, bit 1 compress
 *        2   u32   topic length T (big-endian)
 *        6   T     topic, UTF-8
 *      6+T   u8    origin length O
 *      7+T   O     origin, UTF-8
 *    7+T+O   …     data (the rest)
 * ```
 *
 * The topic is repeated inside although the channel or subject names it too,
 * so a message decodes on its own and a subject's escaping never matters.
 *
 * @module
 */
import type { BrokerMessage } from '@framewire/codec/session';

const VERSION = 1;
const FLAG_BINARY = 1;
const FLAG_COMPRESS = 2;
const HEADER = 7;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes `message` into one new buffer (the caller's `data` may be reused afterwards). */
export function encodeBrokerMessage(message: BrokerMessage): Uint8Array {
  const topic = encoder.encode(message.topic);
  const origin = encoder.encode(message.origin);
  if (origin.length > 255) throw new RangeError(`origin is ${origin.length} bytes; at most 255`);
  const out = new Uint8Array(HEADER + topic.length + origin.length + message.data.length);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = (message.binary ? FLAG_BINARY : 0) | (message.compress ? FLAG_COMPRESS : 0);
  view.setUint32(2, topic.length);
  out.set(topic, 6);
  out[6 + topic.length] = origin.length;
  out.set(origin, HEADER + topic.length);
  out.set(message.data, HEADER + topic.length + origin.length);
  return out;
}

/**
 * Decodes what {@link encodeBrokerMessage} made. Returns `undefined` for
 * anything else (another version, truncated, bad UTF-8): a foreign publisher
 * on the same channel must not break the server.
 */
export function decodeBrokerMessage(bytes: Uint8Array): BrokerMessage | undefined {
  if (bytes.length < HEADER || bytes[0] !== VERSION) return undefined;
  const flags = bytes[1]!;
  if ((flags & ~(FLAG_BINARY | FLAG_COMPRESS)) !== 0) return undefined;
  const topicLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (topicLength > bytes.length - HEADER) return undefined;
  const originLength = bytes[6 + topicLength]!;
  const dataStart = HEADER + topicLength + originLength;
  if (dataStart > bytes.length) return undefined;
  try {
    return {
      topic: decoder.decode(bytes.subarray(6, 6 + topicLength)),
      origin: decoder.decode(bytes.subarray(HEADER + topicLength, dataStart)),
      // A copy: the client library may reuse its read buffer.
      data: bytes.slice(dataStart),
      binary: (flags & FLAG_BINARY) !== 0,
      compress: (flags & FLAG_COMPRESS) !== 0,
    };
  } catch {
    return undefined;
  }
}
