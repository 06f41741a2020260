import { describe, expect, it } from 'vitest';
import { buildFrame, closePayload, FrameParser, Opcode, splitBytes } from '../src/frames.js';
import { firstInvalidByte, isValidUtf8 } from '../src/utf8.js';
import { noiseBytes } from '../src/cases/kinds.js';

describe('frame builder and parser (RFC 6455 §5.2)', () => {
  it('round-trips every length form, masked and unmasked, in any chunking', () => {
    for (const n of [0, 1, 125, 126, 65535, 65536, 70000]) {
      for (const mask of [true, false]) {
        const payload = noiseBytes(n, n + 1);
        const bytes = buildFrame({ opcode: Opcode.binary, payload, fin: n % 2 === 0, rsv1: true }, mask);
        for (const size of [1, 3, 1000, bytes.length]) {
          const parser = new FrameParser();
          const frames = splitBytes(bytes, [size]).flatMap((piece) => parser.push(piece).frames);
          expect(frames).toHaveLength(1);
          const f = frames[0]!;
          expect(f.payload.equals(payload)).toBe(true);
          expect(f.masked).toBe(mask);
          expect(f.fin).toBe(n % 2 === 0);
          expect(f.rsv1).toBe(true);
          expect(f.minimalLength).toBe(true);
        }
      }
    }
  });

  it('uses the shortest length form unless told otherwise, and reports non-minimal forms', () => {
    expect(buildFrame({ opcode: 1, payload: 'abc' }, false).length).toBe(5);
    const long = buildFrame({ opcode: 1, payload: 'abc', lengthForm: 64 }, false);
    expect(long.length).toBe(13);
    expect(long[1]).toBe(127);
    expect(new FrameParser().push(long).frames[0]?.minimalLength).toBe(false);
  });

  it('rejects a 64-bit length with the top bit set instead of waiting for it', () => {
    const bytes = buildFrame({ opcode: 2, payload: 'x', claimedLength: (1n << 63n) + 1n }, false);
    expect(new FrameParser().push(bytes).error).toMatch(/most significant bit/);
  });

  it('encodes close payloads as code then reason', () => {
    expect([...closePayload(1000, 'ok')]).toEqual([0x03, 0xe8, 0x6f, 0x6b]);
  });
});

describe('UTF-8 checker (RFC 3629)', () => {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const strictValid = (b: Uint8Array): boolean => {
    try {
      decoder.decode(b);
      return true;
    } catch {
      return false;
    }
  };

  it('agrees with a fatal TextDecoder on 20,000 random short byte strings', () => {
    const noise = noiseBytes(20_000 * 6, 42);
    for (let i = 0; i < 20_000; i++) {
      const bytes = noise.subarray(i * 6, i * 6 + 1 + (i % 6));
      expect(isValidUtf8(bytes)).toBe(strictValid(bytes));
    }
  });

  it('finds the first byte after which no continuation can be valid', () => {
    expect(firstInvalidByte(Buffer.from([0x41, 0xc0, 0x80]))).toBe(1);
    expect(firstInvalidByte(Buffer.from([0xed, 0xa0, 0x80]))).toBe(1);
    expect(firstInvalidByte(Buffer.from([0xf4, 0x90]))).toBe(1);
    expect(firstInvalidByte(Buffer.from([0xe2, 0x82, 0x41]))).toBe(2);
    expect(firstInvalidByte(Buffer.from([0xe2, 0x82]))).toBe(-1);
    expect(isValidUtf8(Buffer.from([0xe2, 0x82]))).toBe(false);
    expect(isValidUtf8(Buffer.from('κόσμε-😀'))).toBe(true);
  });

  it('keeps every prefix of a valid string completable', () => {
    const s = Buffer.from('a\u0080\u07ff\u0800\uffff\u{10000}\u{10ffff}');
    for (let k = 0; k <= s.length; k++) expect(firstInvalidByte(s.subarray(0, k))).toBe(-1);
  });
});
