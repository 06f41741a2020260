import { describe, expect, it } from 'vitest';
import { ProtocolError, UsageError } from '../src/protocol/errors.js';
import { encodeFrameHeader, encodeFrameToBuffer } from '../src/protocol/frame.js';
import {
  FrameDecoder,
  type FrameDecoderOptions,
  type FrameDecoderResult,
} from '../src/protocol/frame-decoder.js';
import { Opcode } from '../src/protocol/opcode.js';

const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

function readAll(decoder: FrameDecoder): FrameDecoderResult[] {
  const out: FrameDecoderResult[] = [];
  for (let r = decoder.read(); r !== undefined; r = decoder.read()) out.push(r);
  return out;
}

function decode(bytes: Uint8Array, options: Partial<FrameDecoderOptions> = {}): FrameDecoderResult[] {
  const decoder = new FrameDecoder({ role: 'client', maxFrameSize: 1 << 20, ...options });
  decoder.push(bytes);
  return readAll(decoder);
}

function onlyFrame(results: FrameDecoderResult[]) {
  expect(results).toHaveLength(1);
  const r = results[0]!;
  if (r.type !== 'frame') throw new Error(`expected a frame, got ${r.type}`);
  return r.frame;
}

function expectError(results: FrameDecoderResult[], code: string, closeCode: number): ProtocolError {
  const last = results.at(-1);
  if (last?.type !== 'error') throw new Error(`expected an error, got ${JSON.stringify(last)}`);
  expect(last.error).toBeInstanceOf(ProtocolError);
  expect(last.error.code).toBe(code);
  expect(last.error.closeCode).toBe(closeCode);
  return last.error;
}

describe('RFC 6455 §5.7 examples decoded byte for byte', () => {
  it('single-frame unmasked text "Hello" (client side)', () => {
    const f = onlyFrame(decode(fromHex('81 05 48 65 6c 6c 6f')));
    expect(f).toMatchObject({ fin: true, rsv1: false, rsv2: false, rsv3: false, opcode: 1, masked: false, payloadLength: 5 });
    expect(f.maskKey).toBeUndefined();
    expect(text(f.payload)).toBe('Hello');
  });

  it('single-frame masked text "Hello" (server side)', () => {
    const f = onlyFrame(decode(fromHex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'server' }));
    expect(f).toMatchObject({ fin: true, opcode: 1, masked: true, payloadLength: 5 });
    expect([...f.maskKey!]).toEqual([...key]);
    expect(text(f.payload)).toBe('Hello');
  });

  it('fragmented unmasked text "Hel" + "lo"', () => {
    const results = decode(fromHex('01 03 48 65 6c 80 02 6c 6f'));
    expect(results).toHaveLength(2);
    const [a, b] = results.map((r) => (r.type === 'frame' ? r.frame : undefined));
    expect(a).toMatchObject({ fin: false, opcode: Opcode.Text });
    expect(text(a!.payload)).toBe('Hel');
    expect(b).toMatchObject({ fin: true, opcode: Opcode.Continuation });
    expect(text(b!.payload)).toBe('lo');
  });

  it('unmasked ping "Hello" and masked pong "Hello"', () => {
    const ping = onlyFrame(decode(fromHex('89 05 48 65 6c 6c 6f')));
    expect(ping.opcode).toBe(Opcode.Ping);
    expect(text(ping.payload)).toBe('Hello');
    const pong = onlyFrame(decode(fromHex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'server' }));
    expect(pong.opcode).toBe(Opcode.Pong);
    expect(text(pong.payload)).toBe('Hello');
  });

  it('256 bytes binary with a 16-bit length', () => {
    const payload = new Uint8Array(256).map((_, i) => i);
    const f = onlyFrame(decode(new Uint8Array([...fromHex('82 7e 01 00'), ...payload])));
    expect(f.payloadLength).toBe(256);
    expect(f.payload).toEqual(payload);
  });

  it('64 KiB binary with a 64-bit length', () => {
    const payload = new Uint8Array(65536).map((_, i) => i * 31);
    const bytes = new Uint8Array(10 + 65536);
    bytes.set(fromHex('82 7f 00 00 00 00 00 01 00 00'));
    bytes.set(payload, 10);
    const f = onlyFrame(decode(bytes));
    expect(f.payloadLength).toBe(65536);
    expect(f.payload).toEqual(payload);
  });
});

describe('errors: each rule with its code and close code', () => {
  it('reserved opcodes fail with FW_ERR_RESERVED_OPCODE 1002', () => {
    for (const opcode of [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
      expectError(decode(new Uint8Array([0x80 | opcode, 0x00])), 'FW_ERR_RESERVED_OPCODE', 1002);
    }
  });

  it('an RSV bit not negotiated fails with FW_ERR_UNEXPECTED_RSV 1002', () => {
    for (const bit of [0x40, 0x20, 0x10]) {
      expectError(decode(new Uint8Array([0x82 | bit, 0x00])), 'FW_ERR_UNEXPECTED_RSV', 1002);
    }
    // Allowing RSV1 (permessage-deflate) does not allow RSV2.
    expectError(decode(new Uint8Array([0xa2, 0x00]), { allowedRsv: { rsv1: true } }), 'FW_ERR_UNEXPECTED_RSV', 1002);
  });

  it('negotiated RSV bits are accepted and reported', () => {
    const f = onlyFrame(decode(new Uint8Array([0xf2, 0x00]), { allowedRsv: { rsv1: true, rsv2: true, rsv3: true } }));
    expect(f).toMatchObject({ rsv1: true, rsv2: true, rsv3: true, opcode: 2 });
  });

  it('a control frame over 125 bytes fails with FW_ERR_CONTROL_TOO_LONG 1002', () => {
    for (const len7 of [126, 127]) {
      expectError(decode(new Uint8Array([0x89, len7])), 'FW_ERR_CONTROL_TOO_LONG', 1002);
    }
    const ok = onlyFrame(decode(new Uint8Array([0x8a, 125, ...new Uint8Array(125)])));
    expect(ok.payloadLength).toBe(125);
  });

  it('a control frame with FIN=0 fails with FW_ERR_CONTROL_FRAGMENTED 1002', () => {
    for (const opcode of [0x8, 0x9, 0xa]) {
      expectError(decode(new Uint8Array([opcode, 0x00])), 'FW_ERR_CONTROL_FRAGMENTED', 1002);
    }
  });

  it('a 64-bit length with its top bit set fails with FW_ERR_LENGTH_TOP_BIT 1002', () => {
    expectError(decode(fromHex('82 7f 80 00 00 00 00 00 00 00')), 'FW_ERR_LENGTH_TOP_BIT', 1002);
    expectError(decode(fromHex('82 7f ff ff ff ff ff ff ff ff'), { maxFrameSize: Infinity }), 'FW_ERR_LENGTH_TOP_BIT', 1002);
  });

  it('a 64-bit length above 2^53-1 without the top bit is too big (1009)', () => {
    expectError(decode(fromHex('82 7f 00 20 00 00 00 00 00 00'), { maxFrameSize: Infinity }), 'FW_ERR_FRAME_TOO_BIG', 1009);
    expectError(decode(fromHex('82 7f 7f ff ff ff ff ff ff ff'), { maxFrameSize: Infinity }), 'FW_ERR_FRAME_TOO_BIG', 1009);
  });

  it('lengths up to 2^53-1 are representable (decoder waits for the payload)', () => {
    const decoder = new FrameDecoder({ role: 'client', maxFrameSize: Infinity, streamDataFrames: true });
    decoder.push(fromHex('82 7f 00 1f ff ff ff ff ff ff'));
    const [start] = readAll(decoder);
    expect(start).toMatchObject({ type: 'frame-start', header: { payloadLength: Number.MAX_SAFE_INTEGER } });
  });

  it('a frame over maxFrameSize fails with FW_ERR_FRAME_TOO_BIG 1009 from the header alone', () => {
    expectError(decode(new Uint8Array([0x82, 11]), { maxFrameSize: 10 }), 'FW_ERR_FRAME_TOO_BIG', 1009);
    expectError(decode(fromHex('82 7e 01 00'), { maxFrameSize: 255 }), 'FW_ERR_FRAME_TOO_BIG', 1009);
    // Header only: no payload byte was pushed, the error comes anyway.
    const decoder = new FrameDecoder({ role: 'client', maxFrameSize: 1 << 20 });
    decoder.push(fromHex('82 7f 00 00 00 00 40 00 00 00'));
    expectError(readAll(decoder), 'FW_ERR_FRAME_TOO_BIG', 1009);
    expect(decoder.bufferedBytes).toBe(0);
    // Exactly maxFrameSize is fine.
    expect(onlyFrame(decode(new Uint8Array([0x82, 10, ...new Uint8Array(10)]), { maxFrameSize: 10 })).payloadLength).toBe(10);
  });

  it('role server: an unmasked frame fails with FW_ERR_MASK_REQUIRED 1002', () => {
    expectError(decode(fromHex('81 05 48 65 6c 6c 6f'), { role: 'server' }), 'FW_ERR_MASK_REQUIRED', 1002);
  });

  it('role client: a masked frame fails with FW_ERR_MASK_FORBIDDEN 1002', () => {
    expectError(decode(fromHex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), { role: 'client' }), 'FW_ERR_MASK_FORBIDDEN', 1002);
  });

  it('fails fast on the first two bytes, before the rest of the header arrives', () => {
    const decoder = new FrameDecoder({ role: 'server', maxFrameSize: 100 });
    decoder.push(new Uint8Array([0x83, 0xfe])); // reserved opcode, 16-bit length still missing
    expectError(readAll(decoder), 'FW_ERR_RESERVED_OPCODE', 1002);
  });

  it('stays dead after an error: later bytes are discarded', () => {
    const decoder = new FrameDecoder({ role: 'client', maxFrameSize: 100 });
    decoder.push(fromHex('81 05 48 65 6c 6c 6f 83 00 81 05 48 65 6c 6c 6f'));
    const results = readAll(decoder);
    expect(results.map((r) => r.type)).toEqual(['frame', 'error']);
    expect(decoder.error?.code).toBe('FW_ERR_RESERVED_OPCODE');
    decoder.push(fromHex('81 05 48 65 6c 6c 6f'));
    expect(decoder.read()).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('refuses bad options with a UsageError', () => {
    expect(() => new FrameDecoder({ role: 'peer' as 'server', maxFrameSize: 1 })).toThrow(UsageError);
    expect(() => new FrameDecoder({ role: 'server', maxFrameSize: -1 })).toThrow(UsageError);
    expect(() => new FrameDecoder({ role: 'server', maxFrameSize: Number.NaN })).toThrow(UsageError);
  });
});

describe('chunking and copies', () => {
  const masked = encodeFrameToBuffer({ opcode: Opcode.Binary, payload: new Uint8Array(300).map((_, i) => i), maskKey: key });

  it('decodes a frame fed one byte at a time (header in the spill buffer)', () => {
    const decoder = new FrameDecoder({ role: 'server', maxFrameSize: 1000 });
    const results: FrameDecoderResult[] = [];
    for (const byte of masked) {
      decoder.push(new Uint8Array([byte]));
      results.push(...readAll(decoder));
    }
    const f = onlyFrame(results);
    expect(f.payload).toEqual(new Uint8Array(300).map((_, i) => i));
    expect([...f.maskKey!]).toEqual([...key]);
  });

  it('gives a zero-copy view when the payload lies in one chunk, unmasked in place', () => {
    const chunk = masked.slice();
    const f = onlyFrame(decode(chunk, { role: 'server' }));
    expect(f.payload.buffer).toBe(chunk.buffer);
    expect(f.payload.byteOffset).toBe(8);
    expect(chunk[8]).toBe(0); // unmasked in place
  });

  it('copies once into a fresh buffer when the payload spans chunks', () => {
    const decoder = new FrameDecoder({ role: 'server', maxFrameSize: 1000 });
    const a = masked.slice(0, 100);
    const b = masked.slice(100);
    decoder.push(a);
    decoder.push(b);
    const f = onlyFrame(readAll(decoder));
    expect(f.payload.buffer).not.toBe(a.buffer);
    expect(f.payload.buffer).not.toBe(b.buffer);
    expect(f.payload).toEqual(new Uint8Array(300).map((_, i) => i));
  });

  it('waits for the rest of a payload, then returns the whole frame', () => {
    const decoder = new FrameDecoder({ role: 'server', maxFrameSize: 1000 });
    decoder.push(masked.slice(0, 50));
    expect(decoder.read()).toBeUndefined();
    decoder.push(masked.slice(50, 200));
    expect(decoder.read()).toBeUndefined();
    decoder.push(masked.slice(200));
    const f = onlyFrame(readAll(decoder));
    expect(f.payload[299]).toBe(299 & 0xff);
  });

  it('holds at most the frame being filled: spanning payload bytes move into it as they arrive', () => {
    const decoder = new FrameDecoder({ role: 'server', maxFrameSize: 1000 });
    decoder.push(masked.slice(0, 108)); // 8 header bytes + 100 payload bytes
    expect(decoder.read()).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(0); // copied (unmasked) into the payload buffer
    decoder.push(masked.slice(108));
    expect(onlyFrame(readAll(decoder)).payload).toEqual(new Uint8Array(300).map((_, i) => i));
  });

  it('ignores empty chunks and handles many tiny chunks without loss', () => {
    const decoder = new FrameDecoder({ role: 'client', maxFrameSize: 1 << 20 });
    const frame = encodeFrameToBuffer({ opcode: Opcode.Binary, payload: new Uint8Array(5000).fill(7) });
    decoder.push(new Uint8Array(0));
    for (const byte of frame) decoder.push(new Uint8Array([byte]));
    const f = onlyFrame(readAll(decoder));
    expect(f.payload.every((b) => b === 7)).toBe(true);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes an empty payload', () => {
    const f = onlyFrame(decode(new Uint8Array([0x82, 0x80, 1, 2, 3, 4]), { role: 'server' }));
    expect(f.payloadLength).toBe(0);
    expect(f.payload.length).toBe(0);
  });
});

describe('streamDataFrames', () => {
  const payload = new Uint8Array(1000).map((_, i) => i * 3);
  const bytes = encodeFrameToBuffer({ opcode: Opcode.Binary, fin: false, payload, maskKey: key });
  const opts = { role: 'server', maxFrameSize: 4096, streamDataFrames: true } as const;

  it('emits frame-start then unmasked frame-data pieces, the last one marked', () => {
    const decoder = new FrameDecoder(opts);
    const results: FrameDecoderResult[] = [];
    for (let i = 0; i < bytes.length; i += 97) {
      decoder.push(bytes.slice(i, i + 97));
      results.push(...readAll(decoder));
    }
    expect(results[0]).toMatchObject({ type: 'frame-start', header: { fin: false, opcode: 2, masked: true, payloadLength: 1000 } });
    const pieces = results.slice(1);
    expect(pieces.every((r) => r.type === 'frame-data')).toBe(true);
    expect(pieces.map((r) => r.type === 'frame-data' && r.last)).toEqual(pieces.map((_, i) => i === pieces.length - 1));
    const joined = Buffer.concat(pieces.map((r) => (r.type === 'frame-data' ? r.data : new Uint8Array(0))));
    expect(new Uint8Array(joined)).toEqual(payload);
  });

  it('delivers a data frame whole when its payload is all buffered', () => {
    const decoder = new FrameDecoder(opts);
    decoder.push(bytes.slice(0, 500));
    decoder.push(bytes.slice(500));
    const f = onlyFrame(readAll(decoder));
    expect(f.payload).toEqual(payload);
  });

  it('always delivers control frames whole', () => {
    const ping = encodeFrameToBuffer({ opcode: Opcode.Ping, payload: new Uint8Array(100).fill(1), maskKey: key });
    const decoder = new FrameDecoder(opts);
    decoder.push(ping.slice(0, 20));
    expect(decoder.read()).toBeUndefined();
    decoder.push(ping.slice(20));
    const f = onlyFrame(readAll(decoder));
    expect(f.opcode).toBe(Opcode.Ping);
    expect(f.payload.every((b) => b === 1)).toBe(true);
  });

  it('frame-start may come before any payload byte; frames after it decode normally', () => {
    const decoder = new FrameDecoder(opts);
    const header = encodeFrameHeader({ opcode: Opcode.Binary, payloadLength: 4, maskKey: key });
    decoder.push(header);
    expect(readAll(decoder).map((r) => r.type)).toEqual(['frame-start']);
    decoder.push(new Uint8Array([1 ^ 0x37, 2 ^ 0xfa, 3 ^ 0x21, 4 ^ 0x3d]));
    decoder.push(encodeFrameToBuffer({ opcode: Opcode.Pong, payload: new Uint8Array(0), maskKey: key }));
    const rest = readAll(decoder);
    expect(rest[0]).toMatchObject({ type: 'frame-data', last: true });
    expect(rest[0]?.type === 'frame-data' && [...rest[0].data]).toEqual([1, 2, 3, 4]);
    expect(rest[1]).toMatchObject({ type: 'frame', frame: { opcode: Opcode.Pong } });
  });
});
