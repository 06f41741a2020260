// The large-message fast paths (unmask while copying, a payload read in
// place when it lies in one chunk, streamed pieces handed over still masked)
// must give exactly what the general path gives: the bytes the peer sent,
// whatever the chunking, the alignment, the key position and whether a
// native mask is plugged in. Checked against plain references (a byte loop,
// the messages as they were before encoding), never the code under test.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import type { ConnectionEvent } from '../src/protocol/events.js';
import { encodeFrame, encodeFrameHeader, encodeFrameToBuffer } from '../src/protocol/frame.js';
import { maskInto, unmaskInto, type NativeMask } from '../src/protocol/mask.js';
import { MessageAssembler } from '../src/protocol/message-assembler.js';
import { FrameDecoder } from '../src/protocol/frame-decoder.js';
import { defaultUtf8ValidatorFactory } from '../src/protocol/utf8.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const runs = Number(process.env.FW_FUZZ_RUNS ?? 300);
const params = { seed, numRuns: runs };
// Whole-connection runs move up to ~300 KB each: fewer of them by default.
const connectionParams = { seed, numRuns: Math.max(1, Math.floor(runs / 6)) };

// The real add-on the Node adapter installs (a devDependency of the codec).
const require = createRequire(import.meta.url);
const bufferutilMask = (require('bufferutil') as { mask: NativeMask }).mask;
const natives: [string, NativeMask | undefined][] = [
  ['pure JS', undefined],
  ['bufferutil', bufferutilMask],
];

function referenceMask(src: Uint8Array, key: Uint8Array, keyOffset: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! ^ key[(keyOffset + i) & 3]!;
  return out;
}

const keyArb = fc.uint8Array({ minLength: 4, maxLength: 4 });

describe('unmaskInto', () => {
  for (const [name, native] of natives) {
    it(`equals the byte loop at any alignment and key position (${name})`, () => {
      fc.assert(
        fc.property(
          // Lengths spread evenly: most of the paths start at 72 and 256 bytes.
          fc.tuple(fc.nat(3000), fc.integer()).map(([n, salt]) => {
            const bytes = new Uint8Array(n);
            for (let i = 0; i < n; i++) bytes[i] = (i * 131 + salt) & 0xff;
            return bytes;
          }),
          keyArb,
          fc.nat(7),
          fc.nat(7),
          fc.nat(3),
          fc.nat(9),
          (bytes, key, srcShift, dstShift, dstOffset, keyOffset) => {
            const src = new Uint8Array(bytes.length + srcShift);
            src.set(bytes, srcShift);
            const piece = src.subarray(srcShift);
            const dstBacking = new Uint8Array(bytes.length + dstShift + dstOffset + 5).fill(0xee);
            const dst = dstBacking.subarray(dstShift);
            unmaskInto(piece, dst, dstOffset, key, keyOffset, native);
            expect(dst.subarray(dstOffset, dstOffset + bytes.length)).toEqual(referenceMask(bytes, key, keyOffset));
            // Nothing written outside the piece's place.
            expect(dstBacking.subarray(0, dstShift + dstOffset).every((b) => b === 0xee)).toBe(true);
            expect(dstBacking.subarray(dstShift + dstOffset + bytes.length).every((b) => b === 0xee)).toBe(true);
            // maskInto (the one-pass path) agrees and leaves its source alone.
            const again = new Uint8Array(bytes.length);
            const copy = bytes.slice();
            maskInto(copy, again, 0, key, keyOffset, native);
            expect(copy).toEqual(bytes);
            expect(again).toEqual(referenceMask(bytes, key, keyOffset));
          },
        ),
        params,
      );
    });
  }
});

/** A message as sent: its type, bytes, and how the sender fragmented it. */
interface Sent {
  text: boolean;
  bytes: Uint8Array;
  cuts: number[];
}

const textArb = fc.string({ unit: 'binary', maxLength: 600 }).map((s) => ({ text: true, bytes: new TextEncoder().encode(s.repeat(1 + (s.length % 7))) }));
const binaryArb = fc
  .tuple(fc.nat(70_000), fc.integer())
  .map(([n, salt]) => {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = (i * 31 + salt) & 0xff;
    return { text: false, bytes };
  });
const messageArb = fc
  .tuple(fc.oneof(textArb, binaryArb), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }))
  .map(([m, fractions]): Sent => ({ ...m, cuts: [...new Set(fractions.map((f) => Math.floor(f * m.bytes.length)))].sort((a, b) => a - b) }));

/** Client frames (masked) for the messages, fragmented at their cuts. */
function clientBytes(messages: Sent[], key: Uint8Array): Uint8Array {
  const frames: Uint8Array[] = [];
  for (const m of messages) {
    const bounds = [0, ...m.cuts.filter((c) => c > 0 && c < m.bytes.length), m.bytes.length];
    for (let i = 0; i + 1 < bounds.length; i++) {
      frames.push(
        encodeFrameToBuffer({
          opcode: i === 0 ? (m.text ? 1 : 2) : 0,
          fin: i + 2 === bounds.length,
          payload: m.bytes.subarray(bounds[i], bounds[i + 1]),
          maskKey: key,
        }),
      );
    }
  }
  const total = frames.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** `bytes` cut into pieces at fractions, each copied into its own buffer at a random offset (as sockets deliver them). */
function chunk(bytes: Uint8Array, fractions: number[], shifts: number[]): Uint8Array[] {
  const points = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const bounds = [0, ...points.filter((p) => p > 0 && p < bytes.length), bytes.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const shift = shifts[i % Math.max(1, shifts.length)] ?? 0;
    const piece = new Uint8Array(bounds[i + 1]! - bounds[i]! + shift);
    piece.set(bytes.subarray(bounds[i], bounds[i + 1]), shift);
    out.push(piece.subarray(shift));
  }
  return out;
}

/** A message in a form vitest compares quickly (a string, not 70,000 array elements). */
type Got = { text: boolean; bytes: string };
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');

function received(events: ConnectionEvent[]): Got[] {
  const out: Got[] = [];
  for (const e of events) {
    if (e.type === 'text') out.push({ text: true, bytes: b64(new TextEncoder().encode(e.data)) });
    else if (e.type === 'binary') out.push({ text: false, bytes: b64(e.data) });
    else throw new Error(`unexpected event ${e.type}`);
  }
  return out;
}

function throughConnection(chunks: Uint8Array[], native: NativeMask | undefined): Got[] {
  const connection = new Connection({ role: 'server', now: () => 0, hooks: native === undefined ? undefined : { mask: native } });
  const events: ConnectionEvent[] = [];
  for (const c of chunks) {
    connection.receive(c);
    for (let e = connection.readEvent(); e !== undefined; e = connection.readEvent()) events.push(e);
  }
  return received(events);
}

/** The general path: whole frames (no streaming, so no deferred unmasking) into the assembler. */
function throughWholeFrames(chunks: Uint8Array[]): Got[] {
  const decoder = new FrameDecoder({ role: 'server', maxFrameSize: 1 << 24 });
  const assembler = new MessageAssembler({ maxMessageSize: 1 << 24, utf8: defaultUtf8ValidatorFactory });
  const events: ConnectionEvent[] = [];
  for (const c of chunks) {
    decoder.push(c);
    for (let r = decoder.read(); r !== undefined; r = decoder.read()) {
      if (r.type !== 'frame') throw new Error(`unexpected ${r.type}`);
      const m = assembler.frame(r.frame, r.frame.payload);
      if (m === undefined) continue;
      if (m instanceof Error || m.type === 'compressed') throw new Error('unexpected result');
      events.push(m);
    }
  }
  return received(events);
}

describe('large-message fast paths equal the general path on random chunkings', () => {
  for (const [name, native] of natives) {
    it(`Connection delivers exactly what was sent (${name})`, () => {
      fc.assert(
        fc.property(
          fc.array(messageArb, { minLength: 1, maxLength: 4 }),
          keyArb,
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
          fc.array(fc.nat(3), { maxLength: 4 }),
          (messages, key, fractions, shifts) => {
            const wire = clientBytes(messages, key);
            const expected = messages.map((m) => ({ text: m.text, bytes: b64(m.bytes) }));
            // One chunk (the zero-copy path), random chunks (streamed, deferred unmask), and whole frames.
            expect(throughConnection([wire.slice()], native)).toEqual(expected);
            expect(throughConnection(chunk(wire, fractions, shifts), native)).toEqual(expected);
            expect(throughWholeFrames(chunk(wire, fractions, shifts))).toEqual(expected);
          },
        ),
        connectionParams,
      );
    }, 120_000);
  }

  it('fails fast with 1007 on invalid UTF-8 in a streamed, still-masked piece', () => {
    fc.assert(
      fc.property(keyArb, fc.nat(2000), fc.double({ min: 0, max: 1, noNaN: true }), (key, at, cut) => {
        const bytes = new Uint8Array(4096).fill(0x61);
        bytes[at] = 0xff; // never valid in UTF-8
        const wire = clientBytes([{ text: true, bytes, cuts: [] }], key);
        const split = Math.max(1, Math.min(wire.length - 1, Math.floor(cut * wire.length)));
        const connection = new Connection({ role: 'server', now: () => 0 });
        // Only the first part arrives: the error must not wait for the rest.
        connection.receive(wire.slice(0, Math.max(split, at + 9)));
        const events: ConnectionEvent[] = [];
        for (let e = connection.readEvent(); e !== undefined; e = connection.readEvent()) events.push(e);
        const error = events.find((e) => e.type === 'error');
        expect(error?.type === 'error' ? error.error.closeCode : undefined).toBe(1007);
      }),
      params,
    );
  });
});

describe('masked encode: one buffer at every size equals the general path', () => {
  for (const [name, native] of natives) {
    it(`encodeFrameToBuffer = header + byte-loop mask = encodeFrame's pair, at any size and payload offset (${name})`, () => {
      fc.assert(
        fc.property(
          // Across the 16 KiB slab limit and the 64 KiB 16-bit length limit.
          fc.tuple(fc.nat(70_000), fc.integer()).map(([n, salt]) => {
            const bytes = new Uint8Array(n);
            for (let i = 0; i < n; i++) bytes[i] = (i * 131 + salt) & 0xff;
            return bytes;
          }),
          keyArb,
          fc.nat(7),
          (bytes, key, shift) => {
            const backing = new Uint8Array(bytes.length + shift);
            backing.set(bytes, shift);
            const payload = backing.subarray(shift);
            const hooks = native === undefined ? undefined : { mask: native };
            const one = encodeFrameToBuffer({ opcode: 2, payload, maskKey: key, hooks });
            const header = encodeFrameHeader({ opcode: 2, payloadLength: bytes.length, maskKey: key });
            const expected = new Uint8Array(header.length + bytes.length);
            expected.set(header);
            expected.set(referenceMask(bytes, key, 0), header.length);
            expect(b64(one)).toBe(b64(expected));
            // A large one owns exactly its bytes: no shifted view over a bigger buffer.
            if (one.length > 20_000) expect(one.byteOffset === 0 || native === undefined).toBe(true);
            const [h, body] = encodeFrame({ opcode: 2, payload, maskKey: key, hooks });
            expect(b64(h) + '|' + b64(body)).toBe(b64(header) + '|' + b64(referenceMask(bytes, key, 0)));
            // The caller's payload is never modified.
            expect(b64(payload)).toBe(b64(bytes));
          },
        ),
        { seed, numRuns: Math.max(1, Math.floor(runs / 3)) },
      );
    }, 120_000);

    it(`a client Connection writes each masked message as one buffer the server reads back (${name})`, () => {
      fc.assert(
        fc.property(
          fc.array(binaryArb, { minLength: 1, maxLength: 3 }),
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
          fc.array(fc.nat(3), { maxLength: 4 }),
          (messages, fractions, shifts) => {
            const client = new Connection({ role: 'client', now: () => 0, hooks: native === undefined ? undefined : { mask: native } });
            for (const m of messages) client.sendBinary(m.bytes);
            const out = client.takeOutput();
            // One buffer per message, whatever its size (RFC 6455 §5.3: every client frame masked).
            expect(out).toHaveLength(messages.length);
            const wire = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
            let at = 0;
            for (const c of out) {
              wire.set(c, at);
              at += c.length;
            }
            const expected = messages.map((m) => ({ text: false, bytes: b64(m.bytes) }));
            expect(throughConnection(chunk(wire, fractions, shifts), native)).toEqual(expected);
            expect(throughWholeFrames(chunk(wire, fractions, shifts))).toEqual(expected);
          },
        ),
        connectionParams,
      );
    }, 120_000);
  }
});
