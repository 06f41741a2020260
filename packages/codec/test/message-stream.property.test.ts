// Streamed messages (`streamMessagesAbove`) against whole messages: the same
// bytes in any chunking and fragmentation give the same messages, the same
// close codes and the same output; a message is streamed exactly when it is
// longer than the threshold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import type { ConnectionEvent } from '../src/protocol/events.js';
import { encodeFrameToBuffer } from '../src/protocol/frame.js';
import { chunkBytes, concatBytes } from '../src/testing/arbitraries-frame.js';

const RUNS = Number(process.env.FW_FUZZ_RUNS ?? 1000);
const SEED = 0x57e4;
const MAX_MESSAGE = 300;
const enc = new TextEncoder();
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

interface Outcome {
  /** Finished messages: kind, bytes, and whether they came in pieces. */
  messages: { binary: boolean; hex: string; streamed: boolean }[];
  errors: number[];
  closed: number | undefined;
  output: string;
}

function run(chunks: readonly Uint8Array[], streamAbove: number | undefined, eof: boolean): Outcome {
  const c = new Connection({ role: 'server', now: () => 0, maxMessageSize: MAX_MESSAGE, streamMessagesAbove: streamAbove });
  const out: Outcome = { messages: [], errors: [], closed: undefined, output: '' };
  let open: { binary: boolean; parts: Uint8Array[] } | undefined;
  const handle = (e: ConnectionEvent): void => {
    switch (e.type) {
      case 'text':
        out.messages.push({ binary: false, hex: hex(enc.encode(e.data)), streamed: false });
        break;
      case 'binary':
        out.messages.push({ binary: true, hex: hex(e.data), streamed: false });
        break;
      case 'message-start':
        expect(open).toBeUndefined();
        open = { binary: e.binary, parts: [] };
        break;
      case 'message-data':
        // A copy: pieces are views of received chunks.
        open!.parts.push(e.data.slice());
        break;
      case 'message-end':
        out.messages.push({ binary: open!.binary, hex: hex(concatBytes(open!.parts)), streamed: true });
        open = undefined;
        break;
      case 'error':
        out.errors.push(e.error.closeCode);
        break;
      case 'closed':
        out.closed = e.code;
        break;
      default:
        break;
    }
  };
  const output: string[] = [];
  for (const chunk of chunks) {
    c.receive(chunk.slice());
    for (let e = c.readEvent(); e !== undefined; e = c.readEvent()) handle(e);
    for (const b of c.takeOutput()) output.push(hex(b));
  }
  if (eof) {
    c.receiveEof();
    for (let e = c.readEvent(); e !== undefined; e = c.readEvent()) handle(e);
    for (const b of c.takeOutput()) output.push(hex(b));
  }
  out.output = output.join('');
  return out;
}

/** A message as a client sends it: split into frames, pings between them, sometimes broken UTF-8. */
const messageArb = fc
  .record({
    binary: fc.boolean(),
    text: fc.string({ unit: 'grapheme', maxLength: 120 }),
    bytes: fc.uint8Array({ maxLength: 360 }),
    cuts: fc.array(fc.nat(400), { maxLength: 5 }),
    ping: fc.boolean(),
  })
  .map(({ binary, text, bytes, cuts, ping }) => {
    const payload = binary ? bytes : enc.encode(text);
    const points = [...new Set(cuts.map((c) => c % (payload.length + 1)))].sort((a, b) => a - b);
    const pieces: Uint8Array[] = [];
    let at = 0;
    for (const p of [...points, payload.length]) {
      pieces.push(payload.subarray(at, p));
      at = p;
    }
    const frames: Uint8Array[] = [];
    pieces.forEach((piece, i) => {
      frames.push(encodeFrameToBuffer({ opcode: i === 0 ? (binary ? 2 : 1) : 0, fin: i === pieces.length - 1, payload: piece, mask: true }));
      if (ping && i === 0) frames.push(encodeFrameToBuffer({ opcode: 9, payload: enc.encode('p'), mask: true }));
    });
    return concatBytes(frames);
  });

/** Hostile frames: wrong continuations, bad UTF-8 text, RSV1, oversized, control frames. */
const hostileFrameArb = fc
  .record({
    opcode: fc.constantFrom(0, 0, 1, 2, 8, 9),
    fin: fc.boolean(),
    rsv1: fc.nat(19).map((n) => n === 0),
    payload: fc.oneof(fc.uint8Array({ maxLength: 60 }), fc.uint8Array({ minLength: 100, maxLength: 200 })),
  })
  .map(({ opcode, fin, rsv1, payload }) =>
    encodeFrameToBuffer({ opcode, fin: opcode >= 8 ? true : fin, rsv1, payload: opcode >= 8 ? payload.subarray(0, 125) : payload, mask: true }),
  );

const inputArb = fc.oneof(
  fc.array(messageArb, { minLength: 1, maxLength: 6 }),
  fc.array(fc.oneof(messageArb, hostileFrameArb), { minLength: 1, maxLength: 8 }),
);

const chunkingArb = fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 30 });

function withoutStreamFlag(o: Outcome): Omit<Outcome, 'messages'> & { messages: { binary: boolean; hex: string }[] } {
  return { ...o, messages: o.messages.map(({ binary, hex: h }) => ({ binary, hex: h })) };
}

describe('streamed messages (streamMessagesAbove) vs whole messages', () => {
  it('same messages, close codes and output in any chunking; streamed exactly above the threshold', () => {
    fc.assert(
      fc.property(inputArb, chunkingArb, fc.nat(320), fc.boolean(), (parts, sizes, threshold, eof) => {
        const bytes = concatBytes(parts);
        const whole = run(chunkBytes(bytes, sizes), undefined, eof);
        const streamed = run(chunkBytes(bytes, [...sizes].reverse()), threshold, eof);
        expect(withoutStreamFlag(streamed)).toEqual(withoutStreamFlag(whole));
        for (const m of streamed.messages) expect(m.streamed).toBe(m.hex.length / 2 > threshold);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('text that turns invalid in a streamed message fails with 1007 as soon as the bad byte arrives', () => {
    const c = new Connection({ role: 'server', now: () => 0, streamMessagesAbove: 4 });
    const good = enc.encode('héllo wörld');
    const frame = encodeFrameToBuffer({ opcode: 1, fin: true, payload: concatBytes([good, new Uint8Array([0xff]), good]), mask: true });
    // Everything up to and including the bad byte, not the rest of the frame.
    c.receive(frame.subarray(0, 6 + good.length + 1).slice());
    const events = [];
    for (let e = c.readEvent(); e !== undefined; e = c.readEvent()) events.push(e.type);
    // The piece holding the bad byte is refused whole: no invalid byte reaches the reader.
    expect(events).toEqual(['message-start', 'error']);
    expect(c.failure?.closeCode).toBe(1007);
  });

  it('the limit still holds for a streamed message: 1009 on the announced length', () => {
    const c = new Connection({ role: 'server', now: () => 0, streamMessagesAbove: 10, maxMessageSize: 100 });
    c.receive(encodeFrameToBuffer({ opcode: 2, fin: false, payload: new Uint8Array(60), mask: true }));
    c.receive(encodeFrameToBuffer({ opcode: 0, fin: true, payload: new Uint8Array(60), mask: true }));
    const events = [];
    for (let e = c.readEvent(); e !== undefined; e = c.readEvent()) events.push(e.type);
    expect(events).toEqual(['message-start', 'message-data', 'error']);
    expect(c.failure?.closeCode).toBe(1009);
  });
});
