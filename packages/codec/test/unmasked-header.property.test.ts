// A server writes a frame past UNMASKED_JOIN_LIMIT as a header carved from
// the frame slab plus the payload itself. The bytes must equal what the
// general encoder (encodeFrame) makes for the same frame, at every length
// encoding (7, 16 and 64 bit), for fragments too, with many frames queued
// before the output is taken (a header region handed out twice would show).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, UNMASKED_JOIN_LIMIT } from '../src/protocol/frame.js';
import { concatBytes } from '../src/testing/arbitraries-frame.js';
import { makeConnection } from './connection-helpers.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const runs = Number(process.env.FW_FUZZ_RUNS ?? 200);

const size = fc.oneof(
  fc.integer({ min: UNMASKED_JOIN_LIMIT - 4, max: UNMASKED_JOIN_LIMIT + 4 }),
  fc.integer({ min: 65_535 - 2, max: 65_536 + 2 }),
  fc.integer({ min: 0, max: 80_000 }),
);
// One message: its type and the sizes of its fragments.
const message = fc.tuple(fc.constantFrom(1, 2), fc.array(size, { minLength: 1, maxLength: 3 }));

describe('a server frame past the join limit: slab header + payload', () => {
  it('equals the general encoder byte for byte', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 255 }), (messages, fillSeed) => {
        const connection = makeConnection('server');
        const expected: Uint8Array[] = [];
        let fill = fillSeed;
        for (const [opcode, sizes] of messages) {
          sizes.forEach((n, i) => {
            const payload = new Uint8Array(n).fill(fill++ & 0xff);
            const fin = i === sizes.length - 1;
            if (opcode === 1) connection.sendText(payload, fin);
            else connection.sendBinary(payload, fin);
            expected.push(...encodeFrame({ opcode: i === 0 ? opcode : 0, payload, fin }));
          });
        }
        const out = connection.takeOutput();
        expect(Buffer.from(concatBytes(out)).equals(Buffer.from(concatBytes(expected)))).toBe(true);
      }),
      { seed, numRuns: runs },
    );
  });

  it('hands the payload on as it is, after a header of its own', () => {
    const connection = makeConnection('server');
    const payload = new Uint8Array(UNMASKED_JOIN_LIMIT + 1).fill(7);
    connection.sendBinary(payload);
    connection.sendBinary(payload);
    const out = connection.takeOutput();
    expect(out).toHaveLength(4);
    expect(out[1]).toBe(payload);
    expect(out[3]).toBe(payload);
    expect(Array.from(out[0]!)).toEqual([0x82, 126, (UNMASKED_JOIN_LIMIT + 1) >> 8, (UNMASKED_JOIN_LIMIT + 1) & 0xff]);
    // Two headers, two regions: writing into one must not change the other.
    out[0]![0] = 0;
    expect(out[2]![0]).toBe(0x82);
  });
});
