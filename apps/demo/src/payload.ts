/**
 * Sizes of messages as the codec delivers them (`SessionMessage`).
 *
 * @module
 */
import type { SessionMessage } from '@framewire/codec/adapter';

/** Payload bytes of a message: UTF-8 length for text, byte length for binary. */
export function payloadBytes(data: SessionMessage): number {
  return typeof data === 'string' ? utf8Length(data) : data.byteLength;
}

/** UTF-8 length of a string without encoding it (counters run on every message). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3; // lone surrogates are sent as U+FFFD, 3 bytes
  }
  return bytes;
}
