import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/protocol/errors.js';
import { createRequire } from 'node:module';
import { mask, maskInto, setNativeMask, unmask, type NativeMask } from '../src/protocol/mask.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 10000);
const params = { seed: 0x5eed, numRuns: runs };

/** Reference: RFC 6455 §5.3 read literally, one byte at a time. */
function referenceMask(data: Uint8Array, key: Uint8Array, keyOffset: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[(keyOffset + i) % 4]!;
  return out;
}

/** `bytes` placed at `offset` inside a larger buffer, to exercise every alignment. */
function placed(bytes: Uint8Array, offset: number): Uint8Array {
  const backing = new Uint8Array(bytes.length + offset + 3);
  const view = backing.subarray(offset, offset + bytes.length);
  view.set(bytes);
  return view;
}

const keyArb = fc.uint8Array({ minLength: 4, maxLength: 4 });
const dataArb = fc.uint8Array({ maxLength: 300 });

describe('mask (RFC 6455 §5.3)', () => {
  it('masks the RFC §5.7 "Hello" example with key 37 fa 21 3d', () => {
    const data = new TextEncoder().encode('Hello');
    mask(data, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
    expect([...data]).toEqual([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });

  it('equals the byte-by-byte definition at any alignment and key offset', () => {
    fc.assert(
      fc.property(dataArb, keyArb, fc.nat(7), fc.nat(3), (data, key, keyOffset, align) => {
        const view = placed(data, align);
        mask(view, key, keyOffset);
        expect(view).toEqual(referenceMask(data, key, keyOffset));
      }),
      params,
    );
  });

  it('masking twice is the identity at any key offset', () => {
    fc.assert(
      fc.property(dataArb, keyArb, fc.nat(7), fc.nat(3), (data, key, keyOffset, align) => {
        const view = placed(data, align);
        mask(view, key, keyOffset);
        unmask(view, key, keyOffset);
        expect(view).toEqual(data);
      }),
      params,
    );
  });

  it('unmasking in pieces with keyOffset = bytes done equals unmasking at once', () => {
    fc.assert(
      fc.property(dataArb, keyArb, fc.nat(200), (data, key, cut) => {
        const at = Math.min(cut, data.length);
        const whole = data.slice();
        mask(whole, key);
        const pieces = data.slice();
        mask(pieces.subarray(0, at), key, 0);
        mask(pieces.subarray(at), key, at);
        expect(pieces).toEqual(whole);
      }),
      params,
    );
  });

  it('leaves bytes outside the view untouched', () => {
    const backing = new Uint8Array(100).fill(0xaa);
    mask(backing.subarray(3, 97), new Uint8Array([1, 2, 3, 4]));
    expect([...backing.subarray(0, 3)]).toEqual([0xaa, 0xaa, 0xaa]);
    expect([...backing.subarray(97)]).toEqual([0xaa, 0xaa, 0xaa]);
    expect(backing[3]).toBe(0xaa ^ 1);
  });

  it('refuses a key shorter than 4 bytes', () => {
    expect(() => mask(new Uint8Array(8), new Uint8Array(3))).toThrow(UsageError);
  });
});

describe('maskInto', () => {
  it('equals copy then mask, for any src/dst alignment and key offset', () => {
    fc.assert(
      fc.property(dataArb, keyArb, fc.nat(7), fc.nat(3), fc.nat(3), fc.nat(5), (data, key, keyOffset, srcAlign, dstAlign, dstOffset) => {
        const src = placed(data, srcAlign);
        const before = src.slice();
        const dstBacking = new Uint8Array(dstAlign + dstOffset + data.length + 4).fill(0x55);
        const dst = dstBacking.subarray(dstAlign);
        maskInto(src, dst, dstOffset, key, keyOffset);
        const expected = data.slice();
        mask(expected, key, keyOffset);
        expect(dst.subarray(dstOffset, dstOffset + data.length)).toEqual(expected);
        expect(src).toEqual(before); // source untouched
        expect(dst.subarray(0, dstOffset).every((b) => b === 0x55)).toBe(true);
        expect(dst.subarray(dstOffset + data.length).every((b) => b === 0x55)).toBe(true);
      }),
      params,
    );
  });

  it('handles a misaligned source that ends at the end of its ArrayBuffer', () => {
    const key = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    for (let start = 0; start < 4; start++) {
      for (const length of [72, 73, 100, 257]) {
        const src = new Uint8Array(start + length).map((_, i) => i * 13).subarray(start);
        expect(src.byteOffset + src.length).toBe(src.buffer.byteLength);
        for (const dstOffset of [0, 1, 2, 3]) {
          const dst = new Uint8Array(length + dstOffset);
          maskInto(src, dst, dstOffset, key, start);
          expect(dst.subarray(dstOffset)).toEqual(referenceMask(src, key, start));
        }
      }
    }
  });

  it('refuses a destination that is too small, and a short key', () => {
    expect(() => maskInto(new Uint8Array(10), new Uint8Array(12), 3, new Uint8Array(4))).toThrow(UsageError);
    expect(() => maskInto(new Uint8Array(10), new Uint8Array(12), -1, new Uint8Array(4))).toThrow(UsageError);
    expect(() => maskInto(new Uint8Array(1), new Uint8Array(1), 0, new Uint8Array(2))).toThrow(UsageError);
  });
});

describe('setNativeMask (an optional accelerator such as bufferutil)', () => {
  const bigArb = fc.uint8Array({ minLength: 250, maxLength: 700 });

  /** Runs `body` with `fn` plugged in, always unplugging it afterwards. */
  function withNative(fn: NativeMask, body: () => void): void {
    setNativeMask(fn);
    try {
      body();
    } finally {
      setNativeMask(undefined);
    }
  }

  it('is used for long payloads only (from 256 B copying, 4 KiB in place), with the key rotated to the key offset', () => {
    const calls: { length: number; key: number[] }[] = [];
    const spy: NativeMask = (source, key, output, offset, length) => {
      calls.push({ length, key: [...key] });
      for (let i = 0; i < length; i++) output[offset + i] = source[i]! ^ key[i & 3]!;
    };
    const key = new Uint8Array([1, 2, 3, 4]);
    withNative(spy, () => {
      mask(new Uint8Array(100), key); // short: stays in JS
      mask(new Uint8Array(4095), key); // in place below 4 KiB: the JS loop is faster
      mask(new Uint8Array(4096), key, 1);
      maskInto(new Uint8Array(255), new Uint8Array(260), 4, key, 6); // copying below 256 B: JS
      maskInto(new Uint8Array(256), new Uint8Array(260), 4, key, 6);
    });
    expect(calls).toEqual([
      { length: 4096, key: [2, 3, 4, 1] },
      { length: 256, key: [3, 4, 1, 2] },
    ]);
    mask(new Uint8Array(5000), key); // unplugged again
    expect(calls.length).toBe(2);
  });

  it('gives the byte-by-byte result with bufferutil plugged in around the 4 KiB in-place threshold', () => {
    const bufferUtil = createRequire(import.meta.url)('bufferutil') as { mask: NativeMask };
    const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
    withNative(bufferUtil.mask, () => {
      fc.assert(
        fc.property(fc.integer({ min: 4000, max: 4200 }), fc.integer(), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.nat(7), fc.nat(3), (n, salt, key, keyOffset, align) => {
          const data = new Uint8Array(n);
          for (let i = 0; i < n; i++) data[i] = (i * 7 + salt) & 0xff;
          const view = placed(data, align);
          mask(view, key, keyOffset);
          expect(same(view, referenceMask(data, key, keyOffset))).toBe(true);
        }),
        { ...params, numRuns: Math.min(params.numRuns, 300) },
      );
    });
  });

  it('gives the byte-by-byte result with bufferutil plugged in', () => {
    // bufferutil is a dev dependency only; the codec never requires it.
    const bufferUtil = createRequire(import.meta.url)('bufferutil') as { mask: NativeMask };
    withNative(bufferUtil.mask, () => {
      fc.assert(
        fc.property(bigArb, fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.nat(7), fc.nat(3), (data, key, keyOffset, align) => {
          const view = placed(data, align);
          mask(view, key, keyOffset);
          expect(view).toEqual(referenceMask(data, key, keyOffset));
          const dst = new Uint8Array(data.length + align);
          maskInto(data, dst, align, key, keyOffset);
          expect(dst.subarray(align)).toEqual(referenceMask(data, key, keyOffset));
        }),
        params,
      );
    });
  });
});
