// The independent wire parser the catalogue and the connection tests judge
// our output with: RFC 6455 §5.7 examples byte for byte, every §5.2 rule it
// enforces, and agreement with the codec's encoder on random frames.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrameToBuffer } from '../src/protocol/frame.js';
import { decodeSentFrames } from '../src/testing/catalogue/runner.js';
import { checkWireSequence, parseWireFrames, WireError, type WireFrame } from '../src/testing/catalogue/wire-parser.js';

const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const hello = new TextEncoder().encode('Hello');
const fromServer = { sender: 'server' } as const;
const fromClient = { sender: 'client' } as const;

/** The fields a frame is compared on, payload as hex. */
const summary = (f: WireFrame) => ({
  fin: f.fin,
  rsv1: f.rsv1,
  opcode: f.opcode,
  masked: f.masked,
  maskKey: f.maskKey === undefined ? undefined : toHex(f.maskKey),
  payload: toHex(f.payload),
});

/** The message of the WireError that parsing `hex` throws. */
function rejection(hex: string, options: Parameters<typeof parseWireFrames>[1]): string {
  try {
    parseWireFrames(fromHex(hex), options);
  } catch (error) {
    expect(error).toBeInstanceOf(WireError);
    return (error as WireError).message;
  }
  throw new Error(`accepted ${hex}`);
}

describe('parseWireFrames: RFC 6455 §5.7 examples byte for byte', () => {
  it('a single-frame unmasked text message "Hello"', () => {
    expect(parseWireFrames(fromHex('81 05 48 65 6c 6c 6f'), fromServer).map(summary)).toEqual([
      { fin: true, rsv1: false, opcode: 0x1, masked: false, maskKey: undefined, payload: toHex(hello) },
    ]);
  });

  it('a single-frame masked text message "Hello"', () => {
    expect(parseWireFrames(fromHex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), fromClient).map(summary)).toEqual([
      { fin: true, rsv1: false, opcode: 0x1, masked: true, maskKey: '37fa213d', payload: toHex(hello) },
    ]);
  });

  it('a fragmented unmasked text message "Hel" + "lo"', () => {
    const frames = parseWireFrames(fromHex('01 03 48 65 6c  80 02 6c 6f'), fromServer);
    expect(frames.map(summary)).toEqual([
      { fin: false, rsv1: false, opcode: 0x1, masked: false, maskKey: undefined, payload: '48656c' },
      { fin: true, rsv1: false, opcode: 0x0, masked: false, maskKey: undefined, payload: '6c6f' },
    ]);
    expect(() => checkWireSequence(frames)).not.toThrow();
  });

  it('an unmasked ping "Hello" and a masked pong "Hello"', () => {
    expect(parseWireFrames(fromHex('89 05 48 65 6c 6c 6f'), fromServer).map(summary)).toEqual([
      { fin: true, rsv1: false, opcode: 0x9, masked: false, maskKey: undefined, payload: toHex(hello) },
    ]);
    expect(parseWireFrames(fromHex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'), fromClient).map(summary)).toEqual([
      { fin: true, rsv1: false, opcode: 0xa, masked: true, maskKey: '37fa213d', payload: toHex(hello) },
    ]);
  });

  it('256 bytes of binary data: 16-bit length 7E 0100', () => {
    const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
    const [frame, ...rest] = parseWireFrames(fromHex('82 7e 01 00' + toHex(payload)), fromServer);
    expect(rest).toEqual([]);
    expect(frame!.opcode).toBe(0x2);
    expect(frame!.payload).toEqual(payload);
  });

  it('64 KiB of binary data: 64-bit length 7F 0000000000010000', () => {
    const payload = Uint8Array.from({ length: 65536 }, (_, i) => (i * 7) & 0xff);
    const [frame, ...rest] = parseWireFrames(fromHex('82 7f 00 00 00 00 00 01 00 00' + toHex(payload)), fromServer);
    expect(rest).toEqual([]);
    expect(frame!.opcode).toBe(0x2);
    expect(frame!.payload).toEqual(payload);
  });
});

describe('parseWireFrames: input forms', () => {
  it('takes chunks split anywhere, even inside a header', () => {
    const bytes = fromHex('81 85 37 fa 21 3d 7f 9f 4d 51 58  89 80 01 02 03 04');
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4, 12), bytes.subarray(12)];
    expect(parseWireFrames(chunks, fromClient).map((f) => [f.opcode, toHex(f.payload)])).toEqual([
      [0x1, toHex(hello)],
      [0x9, ''],
    ]);
  });

  it('parses nothing from no bytes', () => {
    expect(parseWireFrames([], fromServer)).toEqual([]);
    expect(parseWireFrames(new Uint8Array(0), fromServer)).toEqual([]);
  });

  it('never modifies its input and returns fresh payloads', () => {
    const bytes = fromHex('81 85 37 fa 21 3d 7f 9f 4d 51 58');
    const copy = bytes.slice();
    const [frame] = parseWireFrames(bytes, fromClient);
    expect(bytes).toEqual(copy);
    frame!.payload[0] = 0;
    expect(bytes).toEqual(copy);
  });

  it('allows RSV1 on the first frame of a data message when asked', () => {
    const frames = parseWireFrames(fromHex('41 01 aa  80 01 bb'), { sender: 'server', rsv1: true });
    expect(frames.map((f) => [f.rsv1, f.fin])).toEqual([
      [true, false],
      [false, true],
    ]);
  });
});

describe('parseWireFrames: every rule, one broken at a time', () => {
  it.each([
    ['truncated header', '81', fromServer, /truncated: the first two header bytes/],
    ['truncated payload', '81 05 48 65 6c 6c', fromServer, /truncated: the payload needs 5 bytes, 4 left/],
    ['truncated 16-bit length', '82 7e 01', fromServer, /truncated: the 16-bit payload length/],
    ['truncated 64-bit length', '82 7f 00 00 00 00 00 01 00', fromServer, /truncated: the 64-bit payload length/],
    ['truncated masking key', '81 80 37 fa 21', fromClient, /truncated: the masking key/],
    ['reserved data opcode 0x3', '83 00', fromServer, /reserved opcode 0x3/],
    ['reserved data opcode 0x7', '87 00', fromServer, /reserved opcode 0x7/],
    ['reserved control opcode 0xb', '8b 00', fromServer, /reserved opcode 0xb/],
    ['reserved control opcode 0xf', '8f 00', fromServer, /reserved opcode 0xf/],
    ['RSV1 without an extension', 'c1 00', fromServer, /RSV1 set without/],
    ['RSV2', 'a1 00', fromServer, /RSV2 set/],
    ['RSV3', '91 00', fromServer, /RSV3 set/],
    ['RSV2 even with an extension', 'a1 00', { sender: 'server', rsv1: true }, /RSV2 set/],
    ['RSV1 on a control frame', 'c9 00', { sender: 'server', rsv1: true }, /RSV1 set on a control frame/],
    ['RSV1 on a continuation frame', 'c0 00', { sender: 'server', rsv1: true }, /RSV1 set on a continuation frame/],
    ['fragmented ping', '09 00', fromServer, /control frame without FIN/],
    ['fragmented close', '08 00', fromServer, /control frame without FIN/],
    ['unmasked client frame', '81 05 48 65 6c 6c 6f', fromClient, /client frame not masked/],
    ['masked server frame', '81 85 37 fa 21 3d 7f 9f 4d 51 58', fromServer, /server frame masked/],
    ['16-bit form for 125 bytes', '82 7e 00 7d', fromServer, /16-bit length form used for 125 bytes/],
    ['16-bit form for 0 bytes', '82 7e 00 00', fromServer, /16-bit length form used for 0 bytes/],
    ['64-bit form for 65535 bytes', '82 7f 00 00 00 00 00 00 ff ff', fromServer, /64-bit length form used for 65535 bytes/],
    ['64-bit form for 5 bytes', '82 7f 00 00 00 00 00 00 00 05', fromServer, /64-bit length form used for 5 bytes/],
    ['64-bit length with the top bit set', '82 7f 80 00 00 00 00 01 00 00', fromServer, /most significant bit set/],
    ['64-bit length of all ones', '82 7f ff ff ff ff ff ff ff ff', fromServer, /most significant bit set/],
    ['ping of 126 bytes', '89 7e 00 7e', fromServer, /control frame with 126 bytes/],
    ['close of 126 bytes', '88 7e 00 7e', fromServer, /control frame with 126 bytes/],
  ] as const)('rejects %s', (_name, hex, options, message) => {
    expect(rejection(hex, options)).toMatch(message);
  });

  it('names the offset of the frame that broke the rule', () => {
    const message = rejection('81 00  81 01 61  83 00', fromServer);
    expect(message).toMatch(/^invalid frame at byte 5: reserved opcode 0x3$/);
  });

  it('accepts the boundary lengths 125, 126, 65535 and 65536 in their minimal forms', () => {
    const cases: [string, number][] = [
      ['82 7d', 125],
      ['82 7e 00 7e', 126],
      ['82 7e ff ff', 65535],
      ['82 7f 00 00 00 00 00 01 00 00', 65536],
    ];
    for (const [header, length] of cases) {
      const [frame] = parseWireFrames(fromHex(header + '00'.repeat(length)), fromServer);
      expect(frame!.payload.length).toBe(length);
    }
  });

  it('accepts a control frame of exactly 125 bytes', () => {
    expect(parseWireFrames(fromHex('8a 7d' + '00'.repeat(125)), fromServer)[0]!.payload.length).toBe(125);
  });
});

describe('checkWireSequence (RFC 6455 §5.4, §5.5.1)', () => {
  const frames = (hex: string) => parseWireFrames(fromHex(hex), fromServer);

  it('accepts control frames between fragments and a close at the end', () => {
    expect(() => checkWireSequence(frames('01 01 61  89 00  00 01 62  80 01 63  88 02 03 e8'))).not.toThrow();
  });

  it('accepts an empty close body and a close with a UTF-8 reason', () => {
    expect(() => checkWireSequence(frames('88 00'))).not.toThrow();
    expect(() => checkWireSequence(frames('88 04 0f a0 c3 a9'))).not.toThrow();
  });

  it.each([
    ['a continuation with no message', '80 01 61', /frame 0 .*continuation frame with no message/],
    ['a continuation after a finished message', '81 01 61  80 01 62', /frame 1 .*continuation frame with no message/],
    ['a new message inside a fragmented one', '01 01 61  82 01 62', /frame 1 .*new data message before/],
    ['a frame after a close', '88 02 03 e8  8a 00', /frame 1 .*sent after a Close frame/],
    ['a second close', '88 00  88 00', /frame 1 .*sent after a Close frame/],
    ['a one-byte close body', '88 01 03', /close body of one byte/],
    ['close code 1005', '88 02 03 ed', /close code 1005 may not be sent/],
    ['close code 1006', '88 02 03 ee', /close code 1006 may not be sent/],
    ['close code 1015', '88 02 03 f7', /close code 1015 may not be sent/],
    ['close code 999', '88 02 03 e7', /close code 999 may not be sent/],
    ['close code 2000', '88 02 07 d0', /close code 2000 may not be sent/],
    ['close code 5000', '88 02 13 88', /close code 5000 may not be sent/],
    ['a close reason that is not UTF-8', '88 03 03 e8 ff', /close reason is not valid UTF-8/],
  ] as const)('rejects %s', (_name, hex, message) => {
    expect(() => checkWireSequence(frames(hex))).toThrow(message);
  });
});

describe('parseWireFrames against the codec encoder (property)', () => {
  const dataOpcode = fc.constantFrom(0x0, 0x1, 0x2);
  const controlOpcode = fc.constantFrom(0x8, 0x9, 0xa);
  // Lengths around every boundary of the three length forms, and in between.
  const dataLength = fc.oneof(fc.nat(130), fc.integer({ min: 0xfff0, max: 0x1_0010 }), fc.integer({ min: 131, max: 70_000 }));
  const frame = fc.oneof(
    fc.record({
      opcode: dataOpcode,
      fin: fc.boolean(),
      rsv1: fc.boolean(),
      payload: dataLength.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
    }),
    fc.record({
      opcode: controlOpcode,
      fin: fc.constant(true),
      rsv1: fc.constant(false),
      payload: fc.uint8Array({ maxLength: 125 }),
    }),
  )
    // RSV1 is never on a continuation frame (RFC 7692 §6.1).
    .map((f) => ({ ...f, rsv1: f.rsv1 && f.opcode !== 0x0 }));
  const maskKey = fc.uint8Array({ minLength: 4, maxLength: 4 });

  it('parse(encode(frames)) gives back the frames, masked or not', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), fc.boolean(), maskKey, (frames, fromClientSide, key) => {
        const encoded = frames.map((f) => encodeFrameToBuffer({ ...f, maskKey: fromClientSide ? key : undefined }));
        const parsed = parseWireFrames(encoded, { sender: fromClientSide ? 'client' : 'server', rsv1: true });
        expect(parsed.map(summary)).toEqual(
          frames.map((f) => ({
            fin: f.fin,
            rsv1: f.rsv1,
            opcode: f.opcode,
            masked: fromClientSide,
            maskKey: fromClientSide ? toHex(key) : undefined,
            payload: toHex(f.payload),
          })),
        );
      }),
      { seed: 0x6455, numRuns: 300 },
    );
  });

  it('rejects every strict prefix of an encoded frame as truncated', () => {
    fc.assert(
      fc.property(frame, fc.boolean(), maskKey, fc.nat(), (f, fromClientSide, key, cut) => {
        const bytes = encodeFrameToBuffer({ ...f, maskKey: fromClientSide ? key : undefined });
        const prefix = bytes.subarray(0, cut % bytes.length);
        if (prefix.length === 0) return;
        expect(() => parseWireFrames(prefix, { sender: fromClientSide ? 'client' : 'server', rsv1: true })).toThrow(/truncated/);
      }),
      { seed: 0x5_2, numRuns: 300 },
    );
  });
});

describe('the catalogue judges sent frames with the wire parser', () => {
  it('accepts well-formed output in the direction of the role', () => {
    expect(decodeSentFrames([fromHex('8a 00'), fromHex('88 02 03 e8')], 'server')).toEqual([
      { opcode: 0xa, hex: '' },
      { opcode: 0x8, hex: '03e8' },
    ]);
    expect(decodeSentFrames([fromHex('88 82 37 fa 21 3d 34 12')], 'client')).toEqual([{ opcode: 0x8, hex: '03e8' }]);
  });

  it.each([
    ['a masked frame from a server', 'server', '8a 80 37 fa 21 3d', /server frame masked/],
    ['an unmasked frame from a client', 'client', '8a 00', /client frame not masked/],
    ['RSV1 with no extension negotiated', 'server', 'c1 00', /RSV1 set without/],
    ['a cut-off frame', 'server', '8a 05 48', /truncated/],
    ['a frame after the close', 'server', '88 00  8a 00', /sent after a Close frame/],
    ['close code 1006 on the wire', 'server', '88 02 03 ee', /close code 1006/],
  ] as const)('rejects %s', (_name, role, hex, message) => {
    expect(() => decodeSentFrames([fromHex(hex)], role)).toThrow(message);
  });
});

describe('independence', () => {
  it('wire-parser.ts imports nothing, so it shares no code with src/protocol', () => {
    const source = readFileSync(new URL('../src/testing/catalogue/wire-parser.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^\s*import\b/m);
    expect(source).not.toMatch(/\bimport\s*\(|\brequire\s*\(/);
    expect(source).not.toMatch(/^\s*export\s+(?:\*|\{[^}]*\})\s+from\b/m);
  });

  it('the catalogue runner and the connection test helpers no longer use FrameDecoder', () => {
    for (const path of ['../src/testing/catalogue/runner.ts', './connection-helpers.ts', './permessage-deflate-connection.test.ts']) {
      const source = readFileSync(new URL(path, import.meta.url), 'utf8');
      expect(source, path).not.toMatch(/FrameDecoder|frame-decoder/);
    }
  });
});
