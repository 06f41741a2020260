import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultUtf8ValidatorFactory, isValidUtf8, utf8ValidatorFromWholeBuffer, type Utf8ValidatorFactory } from '../src/protocol/utf8.js';

const RUNS = Number(process.env.FW_FUZZ_RUNS ?? 10000);
const SEED = 0x5eed;

/**
 * Oracle: the index of the first byte at which the WHATWG fatal decoder
 * (fed byte by byte in streaming mode) fails, bytes.length + 1 when only
 * the final flush fails (unfinished sequence), or -1 when valid.
 */
function oracleFailAt(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < bytes.length; i++) {
    try {
      decoder.decode(bytes.subarray(i, i + 1), { stream: true });
    } catch {
      return i;
    }
  }
  try {
    decoder.decode();
  } catch {
    return bytes.length + 1;
  }
  return -1;
}

/** Byte arrays that look like UTF-8 with some damage: valid text, cut and spliced with random bytes. */
const utf8ish = fc
  .tuple(fc.string({ unit: 'binary', maxLength: 24 }), fc.array(fc.tuple(fc.nat(40), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 3 }))
  .map(([s, damage]) => {
    const bytes = Array.from(new TextEncoder().encode(s));
    for (const [at, b] of damage) bytes.splice(Math.min(at, bytes.length), 0, b);
    return Uint8Array.from(bytes);
  });
const anyBytes = fc.oneof(utf8ish, fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ minLength: 1, maxLength: 8 }).map((a) => a.map((b) => b | 0x80)));

const factories: [string, Utf8ValidatorFactory][] = [
  ['portable table validator', defaultUtf8ValidatorFactory],
  ['whole-buffer adapter over node:buffer isUtf8', utf8ValidatorFromWholeBuffer(isUtf8)],
];

describe.each(factories)('%s', (_name, factory) => {
  it('accepts RFC 3629 boundary code points', () => {
    const v = factory();
    for (const s of ['', 'ascii', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}', 'κόσμε😀']) {
      expect(v.update(new TextEncoder().encode(s))).toBe(true);
      expect(v.finish()).toBe(true);
    }
  });

  it.each([
    ['overlong 2-byte', 'c0af'],
    ['overlong 3-byte', 'e080af'],
    ['overlong 4-byte', 'f08080af'],
    ['surrogate U+D800', 'eda080'],
    ['surrogate U+DFFF', 'edbfbf'],
    ['U+110000', 'f4908080'],
    ['F5 lead', 'f5'],
    ['lone continuation', '80'],
    ['FF', 'ff'],
  ])('rejects %s', (_label, hex) => {
    const v = factory();
    const bytes = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    expect(v.update(bytes)).toBe(false);
    expect(v.finish()).toBe(false);
    // finish() resets: the validator is reusable.
    expect(v.update(new Uint8Array([0x41]))).toBe(true);
    expect(v.finish()).toBe(true);
  });

  it('rejects an unfinished sequence only at finish()', () => {
    const v = factory();
    expect(v.update(new Uint8Array([0x41, 0xf0, 0x9f]))).toBe(true);
    expect(v.finish()).toBe(false);
  });

  it('fails on exactly the first impossible byte, fed byte by byte (property)', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const expected = oracleFailAt(bytes);
        const v = factory();
        let failedAt = -1;
        for (let i = 0; i < bytes.length && failedAt < 0; i++) if (!v.update(bytes.subarray(i, i + 1))) failedAt = i;
        const finished = v.finish();
        if (expected === -1) expect([failedAt, finished]).toEqual([-1, true]);
        else if (expected === bytes.length + 1) expect([failedAt, finished]).toEqual([-1, false]);
        else expect([failedAt, finished]).toEqual([expected, false]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('gives the same verdict, at the chunk holding the bad byte, in any chunking (property)', () => {
    fc.assert(
      fc.property(anyBytes, fc.array(fc.nat(20), { maxLength: 6 }), (bytes, cuts) => {
        const expected = oracleFailAt(bytes);
        const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
        const v = factory();
        let start = 0;
        let failedChunkEnd = -1;
        for (const end of [...points, bytes.length]) {
          if (!v.update(bytes.subarray(start, end))) {
            failedChunkEnd = end;
            break;
          }
          start = end;
        }
        const finished = v.finish();
        expect(finished).toBe(expected === -1);
        if (expected >= 0 && expected < bytes.length) {
          // The chunk that failed is the one containing the first bad byte.
          expect(failedChunkEnd).toBeGreaterThan(expected);
          expect(start).toBeLessThanOrEqual(expected);
        } else {
          expect(failedChunkEnd).toBe(-1);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('isValidUtf8', () => {
  it('agrees with the fatal TextDecoder on whole buffers (property)', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        expect(isValidUtf8(bytes)).toBe(oracleFailAt(bytes) === -1);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
