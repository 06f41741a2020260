import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../src/protocol/errors.js';
import type { FrameHeader } from '../src/protocol/frame.js';
import { FrameDecoder, type FrameDecoderOptions } from '../src/protocol/frame-decoder.js';
import {
  chunkBytes,
  chunkSizesArbitrary,
  concatBytes,
  encodeFrameSpec,
  frameArbitrary,
  frameStreamArbitrary,
  splitAt,
  splitPointsArbitrary,
  type FrameSpec,
} from '../src/testing/arbitraries-frame.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 10000);
const params = { seed: 0x5eed, numRuns: runs };
const hex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('hex'));
const ALL_RSV = { rsv1: true, rsv2: true, rsv3: true };

/** What a decoder produced, with streamed pieces joined, in a comparable form. */
type Item =
  | { kind: 'frame' | 'partial'; fin: boolean; rsv: string; opcode: number; masked: boolean; maskKey: string | undefined; payloadLength: number; payload: string }
  | { kind: 'error'; code: string; closeCode: number };

function headerItem(kind: 'frame' | 'partial', h: FrameHeader, payload: Uint8Array): Item {
  return {
    kind,
    fin: h.fin,
    rsv: `${+h.rsv1}${+h.rsv2}${+h.rsv3}`,
    opcode: h.opcode,
    masked: h.masked,
    maskKey: hex(h.maskKey),
    payloadLength: h.payloadLength,
    payload: hex(payload)!,
  };
}

/**
 * Pushes chunks one by one, reading everything after each push (as a socket
 * handler would), and checks the result stream is well formed on the way.
 */
function run(chunks: Uint8Array[], options: FrameDecoderOptions): Item[] {
  const decoder = new FrameDecoder(options);
  const items: Item[] = [];
  let open: { header: FrameHeader; pieces: Uint8Array[] } | undefined;
  let dead = false;
  for (const chunk of chunks) {
    decoder.push(chunk);
    for (let r = decoder.read(); r !== undefined; r = decoder.read()) {
      expect(dead).toBe(false); // nothing after an error
      switch (r.type) {
        case 'frame':
          expect(open).toBeUndefined();
          expect(r.frame.payload.length).toBe(r.frame.payloadLength);
          items.push(headerItem('frame', r.frame, r.frame.payload));
          break;
        case 'frame-start':
          expect(open).toBeUndefined();
          expect(options.streamDataFrames).toBe(true);
          expect(r.header.opcode < 8).toBe(true);
          open = { header: r.header, pieces: [] };
          break;
        case 'frame-data':
          expect(open).toBeDefined();
          expect(r.data.length).toBeGreaterThan(0);
          open!.pieces.push(r.data.slice());
          if (r.last) {
            const payload = concatBytes(open!.pieces);
            expect(payload.length).toBe(open!.header.payloadLength);
            items.push(headerItem('frame', open!.header, payload));
            open = undefined;
          }
          break;
        case 'error':
          expect(r.error).toBeInstanceOf(ProtocolError);
          expect([1002, 1009]).toContain(r.error.closeCode);
          items.push({ kind: 'error', code: r.error.code, closeCode: r.error.closeCode });
          open = undefined;
          dead = true;
          break;
      }
    }
  }
  if (open !== undefined) items.push(headerItem('partial', open.header, concatBytes(open.pieces)));
  return items;
}

function specItem(spec: FrameSpec): Item {
  return {
    kind: 'frame',
    fin: spec.fin,
    rsv: `${+spec.rsv1}${+spec.rsv2}${+spec.rsv3}`,
    opcode: spec.opcode,
    masked: spec.maskKey !== undefined,
    maskKey: hex(spec.maskKey),
    payloadLength: spec.payload.length,
    payload: hex(spec.payload)!,
  };
}

const roles = [
  { role: 'server', masked: true },
  { role: 'client', masked: false },
] as const;

describe('frame layer properties', () => {
  for (const { role, masked } of roles) {
    for (const streamDataFrames of [false, true]) {
      it(`decode(encode(frames)) = frames, role ${role}, streamDataFrames ${streamDataFrames}, any chunking`, () => {
        fc.assert(
          fc.property(
            frameStreamArbitrary({ masked, rsv: ALL_RSV }),
            chunkSizesArbitrary(512),
            ({ frames, bytes }, sizes) => {
              const options = { role, maxFrameSize: 1 << 16, allowedRsv: ALL_RSV, streamDataFrames };
              const expected = frames.map(specItem);
              expect(run(chunkBytes(bytes, []), options)).toEqual(expected);
              expect(run(chunkBytes(bytes, sizes), options)).toEqual(expected);
            },
          ),
          params,
        );
      });
    }
  }

  it('large frames (16-bit and 64-bit lengths) round-trip through any split', () => {
    fc.assert(
      fc.property(
        frameArbitrary({ masked: true, maxPayloadLength: 70_000, opcodes: [1, 2] }),
        fc.nat(70_010).chain((n) => splitPointsArbitrary(n)),
        (spec, points) => {
          const bytes = encodeFrameSpec(spec);
          for (const streamDataFrames of [false, true]) {
            const items = run(splitAt(bytes, points), { role: 'server', maxFrameSize: 1 << 17, streamDataFrames });
            expect(items).toEqual([specItem(spec)]);
          }
        },
      ),
      { ...params, numRuns: Math.max(1, Math.floor(runs / 50)) },
    );
  });

  /** Valid streams with a few bytes overwritten, or plain random bytes. */
  const hostileBytes = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc
      .tuple(
        frameStreamArbitrary({ maxPayloadLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
      )
      .map(([{ bytes }, edits]) => {
        const out = bytes.slice();
        for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value;
        return out;
      }),
  );

  it('arbitrary bytes never throw and give the same results under any chunking', () => {
    fc.assert(
      fc.property(
        hostileBytes,
        chunkSizesArbitrary(64),
        fc.constantFrom('server', 'client'),
        fc.boolean(),
        fc.constantFrom(0, 10, 125, 1 << 16),
        fc.boolean(),
        (bytes, sizes, role, streamDataFrames, maxFrameSize, rsv1) => {
          const options = { role, maxFrameSize, streamDataFrames, allowedRsv: { rsv1 } };
          const whole = run(chunkBytes(bytes, []), options);
          expect(run(chunkBytes(bytes, sizes), options)).toEqual(whole);
          expect(run(chunkBytes(bytes, [1]), options)).toEqual(whole);
        },
      ),
      params,
    );
  });
});
