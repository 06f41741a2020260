// Raw text mode (ConnectionOptions.rawText) must be the general path minus
// the string: for any text (valid or not), any fragmentation, any chunking of
// the wire and either UTF-8 validator, a raw-text connection reports the same
// events as a default one, its `bytes` are exactly the bytes sent, `data`
// decodes to the general path's string, and invalid UTF-8 still fails with
// 1007 at the same place in the event order. Compressed text too.
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import { createDeflateExtension } from '../src/protocol/deflate-extension.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import type { ConnectionEvent } from '../src/protocol/events.js';
import { encodeFrameToBuffer } from '../src/protocol/frame.js';
import { defaultUtf8ValidatorFactory, utf8ValidatorFromWholeBuffer, type Utf8ValidatorFactory } from '../src/protocol/utf8.js';
import { DEFAULT_PARAMS, fragment } from './deflate-helpers.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const runs = Number(process.env.FW_FUZZ_RUNS ?? 300);
const params = { seed, numRuns: runs };
const MASK = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

const validators: [string, Utf8ValidatorFactory][] = [
  ['portable validator', defaultUtf8ValidatorFactory],
  ['node:buffer isUtf8', utf8ValidatorFromWholeBuffer(isUtf8)],
];

/** What a test compares: the event's kind and content (text as its string and, in raw mode, its bytes). */
type Seen =
  | { kind: 'text'; data: string; bytes?: number[] }
  | { kind: 'binary'; data: number[] }
  | { kind: 'error'; code: number }
  | { kind: string };

function seen(event: ConnectionEvent): Seen {
  switch (event.type) {
    case 'text':
      return event.bytes === undefined ? { kind: 'text', data: event.data } : { kind: 'text', data: event.data, bytes: [...event.bytes] };
    case 'binary':
      return { kind: 'binary', data: [...event.data] };
    case 'error':
      return { kind: 'error', code: event.error.closeCode };
    default:
      return { kind: event.type };
  }
}

async function drain(connection: Connection, out: ConnectionEvent[]): Promise<void> {
  for (;;) {
    for (let e = connection.readEvent(); e !== undefined; e = connection.readEvent()) out.push(e);
    const pending = connection.pending();
    if (pending === undefined) return;
    await pending;
  }
}

/** Feeds `chunks` to a fresh server connection and returns what it reported. */
async function run(chunks: Uint8Array[], rawText: boolean, utf8: Utf8ValidatorFactory, deflate: boolean): Promise<ConnectionEvent[]> {
  const extension = deflate ? createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: pakoCompressor() }) : undefined;
  const connection = new Connection({ role: 'server', now: () => 0, rawText, utf8, extension });
  const events: ConnectionEvent[] = [];
  // Copies: a connection may unmask a chunk in place.
  for (const chunk of chunks) {
    connection.receive(chunk.slice());
    await drain(connection, events);
  }
  return events;
}

/** Mostly valid UTF-8 (any code point), sometimes with a random byte swapped in or cut short. */
const textBytes = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map((s) => new TextEncoder().encode(s)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), fc.nat(), fc.integer({ min: 0x80, max: 0xff }), fc.boolean())
      .map(([s, at, byte, cut]) => {
        const bytes = new TextEncoder().encode(s);
        const i = at % bytes.length;
        if (cut) return bytes.subarray(0, i + 1);
        bytes[i] = byte;
        return bytes;
      }),
  },
);

const message = fc.record({
  binary: fc.boolean(),
  bytes: textBytes,
  cuts: fc.array(fc.nat(300), { maxLength: 4 }),
});

/** The masked frames of `messages`, each fragmented at `cuts` (RFC 6455 §5.4), with a ping between two fragments. */
function wireOf(messages: { binary: boolean; bytes: Uint8Array; cuts: number[] }[], compressed: Uint8Array[] | undefined): Uint8Array {
  const frames: Uint8Array[] = [];
  messages.forEach((m, k) => {
    const payload = compressed?.[k] ?? m.bytes;
    const pieces = fragment(payload, m.cuts);
    pieces.forEach((piece, i) => {
      frames.push(
        encodeFrameToBuffer({ opcode: i === 0 ? (m.binary ? 2 : 1) : 0, payload: piece, fin: i === pieces.length - 1, rsv1: i === 0 && compressed !== undefined, maskKey: MASK }),
      );
      if (i === 0 && pieces.length > 1) frames.push(encodeFrameToBuffer({ opcode: 9, payload: Uint8Array.of(7), maskKey: MASK }));
    });
  });
  const wire = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    wire.set(f, at);
    at += f.length;
  }
  return wire;
}

function chunked(wire: Uint8Array, cuts: number[]): Uint8Array[] {
  return fragment(wire, cuts.map((c) => c % (wire.length + 1)));
}

describe('raw text mode equals the general path', () => {
  for (const [name, utf8] of validators) {
    for (const deflate of [false, true]) {
      it(`any text, fragmentation and chunking (${name}${deflate ? ', compressed' : ''})`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), async (messages, cuts) => {
            let compressed: Uint8Array[] | undefined;
            if (deflate) {
              const client = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: pakoCompressor(), threshold: 0 });
              compressed = [];
              for (const m of messages) compressed.push((await client.encode(m.bytes))!);
              client.dispose();
            }
            const chunks = chunked(wireOf(messages, compressed), cuts);
            const general = await run(chunks, false, utf8, deflate);
            const raw = await run(chunks, true, utf8, deflate);
            // Same kinds in the same order, the same close code at the same place.
            expect(raw.map((e) => seen(e).kind)).toEqual(general.map((e) => seen(e).kind));
            let textIndex = 0;
            raw.forEach((event, i) => {
              const other = general[i]!;
              if (event.type === 'text' && other.type === 'text') {
                const sent = messages.filter((m) => !m.binary)[textIndex++]!;
                // The bytes the peer sent, untouched, and no string until asked.
                expect(event.bytes).toEqual(sent.bytes);
                expect(other.bytes).toBeUndefined();
                expect(event.data).toBe(other.data);
              } else {
                expect(seen(event)).toEqual(seen(other));
              }
            });
          }),
          params,
        );
      });
    }
  }
});

describe('raw text mode fails fast', () => {
  it('an invalid byte in the first fragment closes with 1007 before the message ends', () => {
    const connection = new Connection({ role: 'server', now: () => 0, rawText: true });
    connection.receive(encodeFrameToBuffer({ opcode: 1, payload: Uint8Array.of(0x61, 0xc0, 0x80), fin: false, maskKey: MASK }));
    const event = connection.readEvent();
    expect(event?.type).toBe('error');
    expect(event?.type === 'error' ? event.error.closeCode : 0).toBe(1007);
  });

  it('a whole message with a sequence cut at its end closes with 1007', () => {
    const connection = new Connection({ role: 'server', now: () => 0, rawText: true });
    connection.receive(encodeFrameToBuffer({ opcode: 1, payload: Uint8Array.of(0x61, 0xe2, 0x82), maskKey: MASK }));
    const event = connection.readEvent();
    expect(event?.type === 'error' ? event.error.closeCode : 0).toBe(1007);
  });

  it('sendText forwards the bytes as the same text frame', () => {
    const connection = new Connection({ role: 'server', now: () => 0, rawText: true });
    const bytes = new TextEncoder().encode('héllo ☃ 𝄞');
    connection.receive(encodeFrameToBuffer({ opcode: 1, payload: bytes, maskKey: MASK }));
    const event = connection.readEvent();
    expect(event?.type === 'text' ? event.bytes : undefined).toEqual(bytes);
    if (event?.type === 'text' && event.bytes !== undefined) connection.sendText(event.bytes);
    const out = connection.takeOutput();
    const wire = new Uint8Array(out.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of out) {
      wire.set(b, at);
      at += b.length;
    }
    expect(wire).toEqual(encodeFrameToBuffer({ opcode: 1, payload: bytes }));
  });
});
