// A server writes unmasked frames past UNMASKED_JOIN_LIMIT as header + the
// payload itself, and joins smaller ones (one copy). sendText encodes short
// strings into a shared scratch buffer and passes it on uncopied only when the
// frame will copy it: these properties send many messages before the output
// is taken, so a scratch buffer handed on uncopied would show up as a later
// message's bytes in an earlier frame.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UNMASKED_JOIN_LIMIT } from '../src/protocol/frame.js';
import { decodeOutput, enc, makeConnection } from './connection-helpers.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const runs = Number(process.env.FW_FUZZ_RUNS ?? 200);
const params = { seed, numRuns: runs };

// Sizes around both cut-offs (4 KiB joins, 16 KiB scratch) and beyond.
const sizes = fc.oneof(
  fc.integer({ min: 0, max: 200 }),
  fc.integer({ min: UNMASKED_JOIN_LIMIT - 8, max: UNMASKED_JOIN_LIMIT + 8 }),
  fc.integer({ min: 16 * 1024 - 8, max: 16 * 1024 + 8 }),
  fc.integer({ min: 0, max: 40_000 }),
);
const message = fc.tuple(sizes, fc.constantFrom('a', 'é', '☃', '😀'), fc.boolean()).map(([size, unit, text]) => {
  const s = unit.repeat(Math.max(0, Math.floor(size / enc.encode(unit).length)));
  return text ? s : enc.encode(s);
});

describe('frames joined or not: every message sent before the output is taken arrives as sent', () => {
  for (const role of ['server', 'client'] as const) {
    it(`as a ${role}`, () => {
      fc.assert(
        fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), (messages) => {
          const connection = makeConnection(role);
          for (const m of messages) {
            if (typeof m === 'string') connection.sendText(m);
            else connection.sendBinary(m);
          }
          const frames = decodeOutput(connection.takeOutput(), role === 'server' ? 'server' : 'client');
          expect(frames.map((f) => [f.opcode, Buffer.from(f.payload).toString('hex')])).toEqual(
            messages.map((m) => (typeof m === 'string' ? [1, Buffer.from(enc.encode(m)).toString('hex')] : [2, Buffer.from(m).toString('hex')])),
          );
        }),
        params,
      );
    });
  }

  it('a server joins header and payload up to the limit, and writes a larger payload as it is', () => {
    const connection = makeConnection('server');
    const small = new Uint8Array(UNMASKED_JOIN_LIMIT).fill(1);
    const large = new Uint8Array(UNMASKED_JOIN_LIMIT + 1).fill(2);
    connection.sendBinary(small);
    expect(connection.takeOutput()).toHaveLength(1);
    connection.sendBinary(large);
    const out = connection.takeOutput();
    expect(out).toHaveLength(2);
    expect(out[1]).toBe(large);
  });
});
