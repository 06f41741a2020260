// Fuzz properties: hostile byte streams into either role.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidWireCloseCode } from '../src/protocol/close-code.js';
import { Connection, type Role } from '../src/protocol/connection.js';
import { encodeFrameToBuffer } from '../src/protocol/frame.js';
import { MessageAssembler } from '../src/protocol/message-assembler.js';
import { defaultUtf8ValidatorFactory } from '../src/protocol/utf8.js';
import { decodeOutput } from './connection-helpers.js';

const RUNS = Number(process.env.FW_FUZZ_RUNS ?? 10000);
const SEED = 0xf022;
const MAX_MESSAGE = 256;

/** A frame that is mostly well formed, so the fuzzer gets past the header checks. */
const frameArb = (role: Role): fc.Arbitrary<Uint8Array> =>
  fc
    .record({
      opcode: fc.constantFrom(0, 0, 1, 1, 2, 8, 9, 10, 3, 0xb),
      fin: fc.boolean(),
      rsv1: fc.nat(19).map((n) => n === 0),
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => new TextEncoder().encode(s)),
        fc.uint8Array({ minLength: 120, maxLength: 200 }),
      ),
      wrongMask: fc.nat(19).map((n) => n === 0),
    })
    .map(({ opcode, fin, rsv1, payload, wrongMask }) => {
      const control = opcode >= 8;
      return encodeFrameToBuffer({
        opcode,
        fin: control ? true : fin,
        rsv1,
        payload: control ? payload.subarray(0, 125) : payload,
        mask: (role === 'server') !== wrongMask,
      });
    });

const streamArb = (role: Role): fc.Arbitrary<Uint8Array[]> =>
  fc.array(fc.oneof({ weight: 4, arbitrary: frameArb(role) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 30 }) }), { maxLength: 12 });

const DEFINED_LOCAL = new Set([1005, 1006]);

describe.each(['server', 'client'] as const)('fuzzing a %s connection', (role) => {
  it('never throws, keeps messages within limits, and always ends in one defined close code (property)', () => {
    fc.assert(
      fc.property(streamArb(role), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), (pieces, cuts) => {
        const conn = new Connection({ role, now: () => 0, maxMessageSize: MAX_MESSAGE });
        const total = pieces.reduce((n, p) => n + p.length, 0);
        const bytes = new Uint8Array(total);
        let at = 0;
        for (const p of pieces) {
          bytes.set(p, at);
          at += p.length;
        }
        const events = [];
        const output: Uint8Array[] = [];
        let pos = 0;
        for (let i = 0; pos < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          conn.receive(bytes.slice(pos, pos + n));
          pos += n;
          // Output stays bounded by what the input can ask for (pongs, one close).
          expect(conn.bufferedAmount).toBeLessThanOrEqual(2 * pos + 8);
          output.push(...conn.takeOutput());
          for (let e = conn.readEvent(); e !== undefined; e = conn.readEvent()) events.push(e);
        }
        conn.receiveEof();
        output.push(...conn.takeOutput());
        for (let e = conn.readEvent(); e !== undefined; e = conn.readEvent()) events.push(e);

        for (const e of events) {
          if (e.type === 'binary') expect(e.data.length).toBeLessThanOrEqual(MAX_MESSAGE);
          if (e.type === 'text') expect(new TextEncoder().encode(e.data).length).toBeLessThanOrEqual(MAX_MESSAGE);
        }
        const closed = events.filter((e) => e.type === 'closed');
        expect(closed).toHaveLength(1);
        expect(events.at(-1)).toBe(closed[0]);
        const last = closed[0]!;
        if (last.type !== 'closed') throw new Error('unreachable');
        expect(isValidWireCloseCode(last.code) || DEFINED_LOCAL.has(last.code)).toBe(true);
        const errors = events.filter((e) => e.type === 'error');
        expect(errors.length).toBeLessThanOrEqual(1);
        const sentFrames = decodeOutput(output, role);
        const closes = sentFrames.filter((f) => f.opcode === 8);
        expect(closes.length).toBeLessThanOrEqual(1);
        // Nothing after our close frame.
        if (closes.length === 1) expect(sentFrames.at(-1)!.opcode).toBe(8);
        const error = errors[0];
        if (error !== undefined && error.type === 'error') {
          expect(last).toMatchObject({ code: error.error.closeCode, wasClean: false });
          // Our close carries the error's code unless the peer closed first.
          if (!events.some((e) => e.type === 'close')) {
            expect(closes).toHaveLength(1);
            expect((closes[0]!.payload[0]! << 8) | closes[0]!.payload[1]!).toBe(error.error.closeCode);
          }
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('MessageAssembler memory', () => {
  it('never holds more than maxMessageSize bytes, whatever the fragments (property)', () => {
    const step = fc.oneof(
      fc.record({ opcode: fc.constantFrom(0, 0, 0, 1, 2), fin: fc.boolean(), rsv1: fc.constant(false), length: fc.nat(120) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (frames) => {
        const assembler = new MessageAssembler({ maxMessageSize: MAX_MESSAGE, utf8: defaultUtf8ValidatorFactory });
        for (const f of frames) {
          const header = { fin: f.fin, rsv1: false, rsv2: false, rsv3: false, opcode: f.opcode, masked: false, maskKey: undefined, payloadLength: f.length };
          const result = assembler.frame(header, new Uint8Array(f.length).fill(0x61));
          expect(assembler.bufferedBytes).toBeLessThanOrEqual(MAX_MESSAGE);
          if (result instanceof Error) return; // the connection stops feeding after an error
          if (result !== undefined && result.type !== 'compressed') {
            const size = typeof result.data === 'string' ? result.data.length : result.data.length;
            expect(size).toBeLessThanOrEqual(MAX_MESSAGE);
          }
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
