/**
 * Incremental UTF-8 validation (RFC 3629 §4), used for text messages and
 * close reasons (RFC 6455 §5.6, §8.1).
 *
 * Written by hand: the codec needs a validator that keeps the 0-3 bytes of an
 * unfinished sequence across fragments and fails on the very byte that makes
 * the input impossible (STYLE.md lesson 7). `TextDecoder` with `stream: true`
 * would report some errors only at the end, and pulls in a decoded string we
 * do not want for every fragment.
 *
 * The validator is a small state machine driven by a 256-entry table of lead
 * bytes, with an ASCII fast path over runs. Runtimes with a native whole-buffer
 * check (Node's `buffer.isUtf8`) plug it in with {@link utf8ValidatorFromWholeBuffer}.
 *
 * @module
 */

/**
 * An incremental UTF-8 validator for one message. Feed the message's bytes in
 * any chunking with {@link Utf8Validator.update}; it returns `false` as soon as
 * the bytes seen so far cannot start valid UTF-8. {@link Utf8Validator.finish}
 * says whether the input ended on a character boundary.
 */
export interface Utf8Validator {
  /** Feeds more bytes. `false` once the input is invalid (it stays invalid). */
  update(bytes: Uint8Array): boolean;
  /** `true` when everything fed so far is valid and complete. Resets the validator for reuse. */
  finish(): boolean;
}

/** Makes a fresh {@link Utf8Validator}. The injectable hook of `ConnectionOptions.utf8`. */
export type Utf8ValidatorFactory = () => Utf8Validator;

// Lead byte table, RFC 3629 §4 ("UTF8-octets" ABNF). Each entry packs
// (number of continuation bytes) << 16 | (lowest allowed 2nd byte) << 8 |
// (highest allowed 2nd byte). 0 marks a byte that can never start a character:
// continuation bytes, C0/C1 (overlong 2-byte forms), F5-FF (beyond U+10FFFF).
const LEAD = new Uint32Array(256);
(function fillLeadTable(): void {
  const set = (from: number, to: number, need: number, lo: number, hi: number): void => {
    for (let b = from; b <= to; b++) LEAD[b] = (need << 16) | (lo << 8) | hi;
  };
  set(0xc2, 0xdf, 1, 0x80, 0xbf);
  set(0xe0, 0xe0, 2, 0xa0, 0xbf); // no overlong 3-byte forms
  set(0xe1, 0xec, 2, 0x80, 0xbf);
  set(0xed, 0xed, 2, 0x80, 0x9f); // no surrogates U+D800-DFFF
  set(0xee, 0xef, 2, 0x80, 0xbf);
  set(0xf0, 0xf0, 3, 0x90, 0xbf); // no overlong 4-byte forms
  set(0xf1, 0xf3, 3, 0x80, 0xbf);
  set(0xf4, 0xf4, 3, 0x80, 0x8f); // nothing above U+10FFFF
})();

/**
 * The portable validator. State between calls: how many continuation bytes
 * are still needed and the allowed range of the next one.
 */
class TableUtf8Validator implements Utf8Validator {
  /** Continuation bytes still needed; -1 once the input was found invalid. */
  #need = 0;
  #lo = 0x80;
  #hi = 0xbf;

  update(bytes: Uint8Array): boolean {
    let need = this.#need;
    if (need < 0) return false;
    let lo = this.#lo;
    let hi = this.#hi;
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      const b = bytes[i]!;
      if (need === 0) {
        if (b < 0x80) {
          // ASCII fast path over the run.
          i++;
          while (i < n && bytes[i]! < 0x80) i++;
          continue;
        }
        const lead = LEAD[b]!;
        if (lead === 0) {
          this.#need = -1;
          return false;
        }
        need = lead >>> 16;
        lo = (lead >>> 8) & 0xff;
        hi = lead & 0xff;
      } else {
        if (b < lo || b > hi) {
          this.#need = -1;
          return false;
        }
        need--;
        lo = 0x80;
        hi = 0xbf;
      }
      i++;
    }
    this.#need = need;
    this.#lo = lo;
    this.#hi = hi;
    return true;
  }

  /** True when no sequence is open (and the input so far is valid). */
  get atBoundary(): boolean {
    return this.#need === 0;
  }

  finish(): boolean {
    const ok = this.#need === 0;
    this.#need = 0;
    this.#lo = 0x80;
    this.#hi = 0xbf;
    return ok;
  }
}

/**
 * The portable default factory: a table-driven validator with an ASCII fast
 * path, no allocation per call.
 */
export const defaultUtf8ValidatorFactory: Utf8ValidatorFactory = () => new TableUtf8Validator();

const sharedValidator = new TableUtf8Validator();

/**
 * Validates a whole buffer with the portable validator.
 *
 * @example
 * ```ts
 * isValidUtf8(new Uint8Array([0xed, 0xa0, 0x80])); // false: a surrogate
 * ```
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const ok = sharedValidator.update(bytes);
  return sharedValidator.finish() && ok;
}

/**
 * Length of the unfinished sequence at the end of `bytes` (0-3): the bytes
 * from the last lead byte whose sequence would run past the end. Only lead
 * bytes are looked at; whether they are valid is left to the validator.
 */
function incompleteTailLength(bytes: Uint8Array): number {
  const n = bytes.length;
  // Walk back over at most 3 continuation bytes to the lead byte.
  for (let back = 1; back <= 4 && back <= n; back++) {
    const b = bytes[n - back]!;
    if (b < 0x80) return 0;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
      return need >= back ? back : 0;
    }
  }
  return 0;
}

/**
 * Adapts a whole-buffer check (such as Node's `buffer.isUtf8`) into a
 * {@link Utf8ValidatorFactory} that still fails fast across fragments: the
 * native function checks the bulk of each piece, and the portable state
 * machine handles only the few bytes of a sequence split between pieces.
 *
 * @example In a Node adapter
 * ```ts
 * import { isUtf8 } from 'node:buffer';
 * new Connection({ role: 'server', now: Date.now, utf8: utf8ValidatorFromWholeBuffer(isUtf8) });
 * ```
 */
export function utf8ValidatorFromWholeBuffer(isUtf8: (bytes: Uint8Array) => boolean): Utf8ValidatorFactory {
  return () => new WholeBufferUtf8Validator(isUtf8);
}

class WholeBufferUtf8Validator implements Utf8Validator {
  readonly #isUtf8: (bytes: Uint8Array) => boolean;
  /** Handles split sequences between pieces: never holds more than 3 bytes of state. */
  readonly #edge = new TableUtf8Validator();
  /** True while #edge is in the middle of a sequence. */
  #inSequence = false;
  #failed = false;

  constructor(isUtf8: (bytes: Uint8Array) => boolean) {
    this.#isUtf8 = isUtf8;
  }

  update(bytes: Uint8Array): boolean {
    if (this.#failed) return false;
    let start = 0;
    if (this.#inSequence) {
      // Finish the sequence left open by the previous piece, byte by byte.
      while (start < bytes.length && this.#inSequence) {
        if (!this.#edge.update(bytes.subarray(start, start + 1))) return this.#fail();
        start++;
        this.#inSequence = !this.#edge.atBoundary;
      }
      if (this.#inSequence) return true;
    }
    const rest = start === 0 ? bytes : bytes.subarray(start);
    const tail = incompleteTailLength(rest);
    const bulkEnd = rest.length - tail;
    if (bulkEnd > 0 && !this.#isUtf8(tail === 0 ? rest : rest.subarray(0, bulkEnd))) return this.#fail();
    if (tail > 0) {
      // The open sequence must already be a valid prefix (e.g. F4 90 is not).
      if (!this.#edge.update(rest.subarray(bulkEnd))) return this.#fail();
      this.#inSequence = true;
    }
    return true;
  }

  finish(): boolean {
    const ok = !this.#failed && !this.#inSequence;
    this.#edge.finish();
    this.#failed = false;
    this.#inSequence = false;
    return ok;
  }

  #fail(): false {
    this.#failed = true;
    return false;
  }
}

