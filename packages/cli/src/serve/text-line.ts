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

/**
 * {@link textPayload} of each of `lines`, the lines a `LineSplitter` made of
 * `chunk`: one UTF-8 check of the whole chunk instead of one per line when
 * it passes. A line that is a view on a valid chunk is valid too (it starts
 * and ends on character boundaries: after or at a `\n`, or at the
 * splitter's cut); lines carried over from earlier chunks are checked alone.
 */
export function textPayloads(chunk: Uint8Array, lines: readonly Uint8Array[]): (Uint8Array | string)[] {
  const payloads: (Uint8Array | string)[] = new Array<Uint8Array | string>(lines.length);
  if (lines.length < 2 || !isUtf8(chunk)) {
    for (let i = 0; i < lines.length; i++) payloads[i] = textPayload(lines[i]!);
    return payloads;
  }
  const buffer = chunk.buffer;
  const start = chunk.byteOffset;
  const end = start + chunk.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const offset = line.byteOffset;
    payloads[i] = line.buffer === buffer && offset >= start && offset + line.length <= end ? line : textPayload(line);
  }
  return payloads;
}
