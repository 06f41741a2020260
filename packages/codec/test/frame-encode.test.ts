import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/protocol/errors.js';
import {
  encodeFrame,
  encodeFrameHeader,
  encodeFrameToBuffer,
  frameHeaderSize,
  writeFrameHeader,
} from '../src/protocol/frame.js';
import { Opcode } from '../src/protocol/opcode.js';

const hello = new TextEncoder().encode('Hello');
const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const join = ([a, b]: [Uint8Array, Uint8Array]): string => hex(a) + hex(b);

describe('encodeFrame: RFC 6455 §5.7 examples byte for byte', () => {
  it('single-frame unmasked text "Hello"', () => {
    expect(join(encodeFrame({ opcode: Opcode.Text, payload: hello }))).toBe('810548656c6c6f');
  });
  it('single-frame masked text "Hello"', () => {
    expect(join(encodeFrame({ opcode: Opcode.Text, payload: hello, maskKey: key }))).toBe('818537fa213d7f9f4d5158');
  });
  it('fragmented unmasked text "Hel" + "lo"', () => {
    expect(join(encodeFrame({ opcode: Opcode.Text, fin: false, payload: hello.subarray(0, 3) }))).toBe('010348656c');
    expect(join(encodeFrame({ opcode: Opcode.Continuation, payload: hello.subarray(3) }))).toBe('80026c6f');
  });
  it('unmasked ping and masked pong "Hello"', () => {
    expect(join(encodeFrame({ opcode: Opcode.Ping, payload: hello }))).toBe('890548656c6c6f');
    expect(join(encodeFrame({ opcode: Opcode.Pong, payload: hello, maskKey: key }))).toBe('8a8537fa213d7f9f4d5158');
  });
  it('256 bytes binary: 16-bit length 7E 0100', () => {
    const [header] = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(256) });
    expect(hex(header)).toBe('827e0100');
  });
  it('64 KiB binary: 64-bit length 7F 0000000000010000', () => {
    const [header] = encodeFrame({ opcode: Opcode.Binary, payload: new Uint8Array(65536) });
    expect(hex(header)).toBe('827f0000000000010000');
  });
});

describe('encodeFrameHeader: every field of RFC 6455 §5.2', () => {
  it('sets FIN, RSV1-3 and the opcode bits independently', () => {
    expect(encodeFrameHeader({ opcode: 0x2, payloadLength: 0, fin: false })[0]).toBe(0x02);
    expect(encodeFrameHeader({ opcode: 0x2, payloadLength: 0, rsv1: true })[0]).toBe(0xc2);
    expect(encodeFrameHeader({ opcode: 0x2, payloadLength: 0, rsv2: true })[0]).toBe(0xa2);
    expect(encodeFrameHeader({ opcode: 0x2, payloadLength: 0, rsv3: true })[0]).toBe(0x92);
    expect(encodeFrameHeader({ opcode: 0xf, payloadLength: 0 })[0]).toBe(0x8f);
  });

  it('uses the shortest length form at every boundary', () => {
    const cases: [number, string][] = [
      [0, '8200'],
      [125, '827d'],
      [126, '827e007e'],
      [0xffff, '827effff'],
      [0x10000, '827f0000000000010000'],
      [2 ** 32, '827f0000000100000000'],
      [Number.MAX_SAFE_INTEGER, '827f001fffffffffffff'],
    ];
    for (const [length, expected] of cases) {
      expect(hex(encodeFrameHeader({ opcode: 0x2, payloadLength: length }))).toBe(expected);
      expect(frameHeaderSize(length, false)).toBe(expected.length / 2);
    }
  });

  it('sets the MASK bit and appends the key after the extended length', () => {
    expect(hex(encodeFrameHeader({ opcode: 0x2, payloadLength: 300, maskKey: key }))).toBe('82fe012c37fa213d');
    expect(frameHeaderSize(300, true)).toBe(8);
    expect(frameHeaderSize(70000, true)).toBe(14);
  });

  it('writeFrameHeader writes at an offset and returns the size', () => {
    const target = new Uint8Array(12).fill(0xee);
    expect(writeFrameHeader(target, 2, { opcode: 0x1, payloadLength: 5, maskKey: key })).toBe(6);
    expect(hex(target)).toBe('eeee818537fa213deeeeeeee');
    expect(() => writeFrameHeader(new Uint8Array(3), 0, { opcode: 1, payloadLength: 200 })).toThrow(UsageError);
  });

  it('refuses what cannot be encoded', () => {
    expect(() => encodeFrameHeader({ opcode: 16, payloadLength: 0 })).toThrow(UsageError);
    expect(() => encodeFrameHeader({ opcode: -1, payloadLength: 0 })).toThrow(UsageError);
    expect(() => encodeFrameHeader({ opcode: 1, payloadLength: -1 })).toThrow(UsageError);
    expect(() => encodeFrameHeader({ opcode: 1, payloadLength: 2 ** 53 })).toThrow(UsageError);
    expect(() => encodeFrameHeader({ opcode: 1, payloadLength: 1.5 })).toThrow(UsageError);
    expect(() => encodeFrameHeader({ opcode: 1, payloadLength: 0, maskKey: new Uint8Array(3) })).toThrow(UsageError);
  });
});

describe('encodeFrame: copies', () => {
  it('returns an unmasked payload as the same object (zero-copy)', () => {
    const payload = new Uint8Array(100_000);
    const [, out] = encodeFrame({ opcode: Opcode.Binary, payload });
    expect(out).toBe(payload);
  });

  it('masks into a fresh buffer and leaves the caller bytes alone', () => {
    for (const offset of [0, 1, 2, 3]) {
      const payload = new Uint8Array(1000 + offset).map((_, i) => i * 7).subarray(offset);
      const before = payload.slice();
      const [header, out] = encodeFrame({ opcode: Opcode.Binary, payload, maskKey: key });
      expect(out).not.toBe(payload);
      expect(out.buffer).not.toBe(payload.buffer);
      expect(payload).toEqual(before);
      expect(hex(header)).toBe('82fe03e837fa213d');
      expect(out.map((b, i) => b ^ key[i & 3]!)).toEqual(before);
    }
  });

  it('draws the mask key from the injected random source', () => {
    const seen: number[] = [];
    const [header] = encodeFrame({
      opcode: Opcode.Text,
      payload: hello,
      mask: true,
      randomSource: (bytes) => {
        seen.push(bytes.length);
        bytes.set([9, 8, 7, 6]);
      },
    });
    expect(seen).toEqual([4]);
    expect(hex(header)).toBe('818509080706');
  });

  it('uses the default random source when masking without one', () => {
    const [header, out] = encodeFrame({ opcode: Opcode.Text, payload: hello, mask: true });
    expect(header[1]).toBe(0x85);
    const k = header.subarray(2, 6);
    expect(new TextDecoder().decode(out.map((b, i) => b ^ k[i & 3]!))).toBe('Hello');
  });

  it('gives each masked frame a fresh key from the pool, across pool refills', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 2100; i++) {
      const [header, out] = encodeFrame({ opcode: Opcode.Binary, payload: hello, mask: true });
      const k = header.subarray(2, 6);
      keys.add(hex(k));
      expect(out.map((b, j) => b ^ k[j & 3]!)).toEqual(hello);
    }
    // 2100 random 32-bit keys: collisions are possible but a handful at most.
    expect(keys.size).toBeGreaterThan(2090);
  });

  it('refuses control frames over 125 bytes or fragmented, and bad opcodes or keys', () => {
    expect(() => encodeFrame({ opcode: Opcode.Ping, payload: new Uint8Array(126) })).toThrow(
      expect.objectContaining({ code: 'FW_ERR_CONTROL_PAYLOAD_TOO_LONG' }),
    );
    expect(() => encodeFrame({ opcode: Opcode.Close, fin: false, payload: hello })).toThrow(
      expect.objectContaining({ code: 'FW_ERR_INVALID_ARGUMENT' }),
    );
    expect(() => encodeFrame({ opcode: 0x10, payload: hello })).toThrow(UsageError);
    expect(() => encodeFrame({ opcode: 1, payload: hello, maskKey: new Uint8Array(5) })).toThrow(UsageError);
    expect(() => encodeFrame({ opcode: Opcode.Ping, payload: new Uint8Array(125) })).not.toThrow();
  });
});

describe('encodeFrameToBuffer', () => {
  it('gives header and payload in one buffer, masked or not', () => {
    expect(hex(encodeFrameToBuffer({ opcode: Opcode.Text, payload: hello }))).toBe('810548656c6c6f');
    expect(hex(encodeFrameToBuffer({ opcode: Opcode.Text, payload: hello, maskKey: key }))).toBe('818537fa213d7f9f4d5158');
    const big = new Uint8Array(300).fill(1);
    const out = encodeFrameToBuffer({ opcode: Opcode.Binary, payload: big, maskKey: key });
    expect(out.length).toBe(8 + 300);
    expect(hex(out.subarray(0, 8))).toBe('82fe012c37fa213d');
    expect(out[8]).toBe(1 ^ 0x37);
    expect(big[0]).toBe(1);
  });
  it('applies the same checks as encodeFrame', () => {
    expect(() => encodeFrameToBuffer({ opcode: Opcode.Pong, payload: new Uint8Array(200) })).toThrow(UsageError);
  });
});
