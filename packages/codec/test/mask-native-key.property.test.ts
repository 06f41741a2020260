// Native mask calls get the key in one shared, already off-heap array
// (rotated for the key position), never the caller's fresh per-frame key:
// the bytes must be what a byte loop gives, at every key position, and the
// caller's key must be left as it was.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mask, maskInto, type NativeMask } from '../src/protocol/mask.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const runs = Number(process.env.FW_FUZZ_RUNS ?? 300);
const require = createRequire(import.meta.url);
const bufferutilMask = (require('bufferutil') as { mask: NativeMask }).mask;

function reference(src: Uint8Array, key: Uint8Array, keyOffset: number): Uint8Array {
  return src.map((b, i) => b ^ key[(keyOffset + i) & 3]!);
}

describe('native mask calls: one shared key array', () => {
  it('mask in place and maskInto match a byte loop at every key position, and leave the key alone', () => {
    const seen = new Set<Uint8Array>();
    const native: NativeMask = (source, key, output, offset, length) => {
      seen.add(key);
      bufferutilMask(source, key, output, offset, length);
    };
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4 * 1024, maxLength: 9 * 1024 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 7 }),
        (bytes, key, keyOffset) => {
          const keyBefore = key.slice();
          const expected = reference(bytes, key, keyOffset);
          const inPlace = bytes.slice();
          mask(inPlace, key, keyOffset, native);
          expect(Buffer.from(inPlace).equals(Buffer.from(expected))).toBe(true);
          const copied = new Uint8Array(bytes.length + 3);
          maskInto(bytes, copied, 3, key, keyOffset, native);
          expect(Buffer.from(copied.subarray(3)).equals(Buffer.from(expected))).toBe(true);
          expect(Array.from(key)).toEqual(Array.from(keyBefore));
        },
      ),
      { seed, numRuns: runs },
    );
    // Every call got the same array, never one of the callers' keys.
    expect(seen.size).toBe(1);
  });
});
