/**
 * Splits a program's stdout into lines, one WebSocket text message each.
 *
 * A line ends at `\n`; a `\r` right before it is dropped too (CRLF
 * programs). A line longer than `maxLineBytes` is not an error: it is sent
 * in pieces of at most `maxLineBytes` bytes, each cut on a UTF-8 character
 * boundary so every piece stays valid text. Memory per connection is
 * therefore bounded by `maxLineBytes` whatever the program prints.
 *
 * @module
 */

/** Default longest line held before it is sent in pieces: 1 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/** Incremental stdout-to-lines splitter (see the module comment). */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  /** @param maxLineBytes longest piece handed out (at least 4, so one UTF-8 character always fits). */
  constructor(maxLineBytes: number = DEFAULT_MAX_LINE_BYTES) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 4) throw new RangeError(`maxLineBytes must be an integer ≥ 4, got ${maxLineBytes}`);
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes held for an unfinished line (never more than `maxLineBytes`). */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Feed a chunk; returns the complete lines (and overlong pieces) it
   * finished, without their line ends. Lines that lie wholly inside `chunk`
   * are views on it (no copy): the caller must not change `chunk` afterwards
   * (stream chunks are fresh buffers). An unfinished line is copied.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(LF, start);
      const end = newline === -1 ? chunk.length : newline;
      if (newline !== -1 && this.#pendingBytes === 0 && end - start <= this.#maxLineBytes) {
        // The common case: a whole line inside this chunk.
        out.push(withoutCr(chunk.subarray(start, end)));
      } else {
        this.#append(chunk.subarray(start, end), out);
        if (newline === -1) break;
        out.push(this.#take(true));
      }
      start = newline + 1;
    }
    return out;
  }

  /** At EOF: the unfinished last line, if any (a program's last line need not end with `\n`). */
  flush(): Uint8Array | undefined {
    return this.#pendingBytes === 0 ? undefined : this.#take(false);
  }

  #append(bytes: Uint8Array, out: Uint8Array[]): void {
    let rest = bytes;
    while (this.#pendingBytes + rest.length > this.#maxLineBytes) {
      // Fill up to the limit, then cut back to a character boundary.
      const room = this.#maxLineBytes - this.#pendingBytes;
      this.#pending.push(rest.subarray(0, room));
      this.#pendingBytes += room;
      rest = rest.subarray(room);
      const whole = this.#joined();
      const cut = utf8Boundary(whole);
      out.push(whole.subarray(0, cut));
      const carry = whole.subarray(cut);
      this.#pending = carry.length > 0 ? [carry] : [];
      this.#pendingBytes = carry.length;
    }
    if (rest.length > 0) {
      // Copy: the caller's chunk buffer may be reused after push() returns (a Buffer's own slice() is a view).
      this.#pending.push(Uint8Array.prototype.slice.call(rest));
      this.#pendingBytes += rest.length;
    }
  }

  #take(stripCr: boolean): Uint8Array {
    const whole = this.#joined();
    const line = stripCr ? withoutCr(whole) : whole;
    this.#pending = [];
    this.#pendingBytes = 0;
    return line;
  }

  #joined(): Uint8Array {
    if (this.#pending.length === 1) return this.#pending[0]!;
    const whole = new Uint8Array(this.#pendingBytes);
    let offset = 0;
    for (const part of this.#pending) {
      whole.set(part, offset);
      offset += part.length;
    }
    return whole;
  }
}

function withoutCr(line: Uint8Array): Uint8Array {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/**
 * The largest cut point ≤ `bytes.length` that does not split a UTF-8
 * sequence: walk back over at most 3 continuation bytes to the lead byte and
 * keep the sequence only if it is complete. Invalid bytes are left as they
 * are (they become U+FFFD when decoded), so a cut is never 0 for a non-empty
 * input unless it starts with an incomplete sequence longer than the input.
 */
export function utf8Boundary(bytes: Uint8Array): number {
  const length = bytes.length;
  let lead = length - 1;
  while (lead >= 0 && lead >= length - 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  if (lead < 0) return length;
  const byte = bytes[lead]!;
  const need = byte >= 0xf0 && byte <= 0xf4 ? 4 : byte >= 0xe0 ? (byte < 0xf0 ? 3 : 1) : byte >= 0xc2 ? 2 : 1;
  const cut = length - lead >= need ? length : lead;
  return cut === 0 ? length : cut;
}
