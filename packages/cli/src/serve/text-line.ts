/**
 * A program's output line as a text message payload: the bytes themselves
 * when they are valid UTF-8 (no decode and re-encode per client), else the
 * line decoded with U+FFFD in place of the bad bytes, so a text message is
 * never invalid.
 *
 * @module
 */
import * as buffer from 'node:buffer';

const decoder = new TextDecoder();
const strict = new TextDecoder('utf-8', { fatal: true });
// node:buffer's native check (Node 18.14+, Bun, Deno); a strict decode elsewhere.
const nativeIsUtf8 = (buffer as { isUtf8?: (bytes: Uint8Array) => boolean }).isUtf8;

function isUtf8(bytes: Uint8Array): boolean {
  if (nativeIsUtf8 !== undefined) return nativeIsUtf8(bytes);
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The payload to send as a text message for `line` (see the module comment). */
export function textPayload(line: Uint8Array): Uint8Array | string {
  return isUtf8(line) ? line : decoder.decode(line);
}
