// RFC 7692 §6 through the real Connection: RSV1 only when the extension is
// active, only on the first frame of a message, never on control frames;
// compressed messages in and out; bombs and corrupt data; dispose on close.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Compressor } from '../src/protocol/compressor.js';
import { Connection } from '../src/protocol/connection.js';
import type { ConnectionEvent } from '../src/protocol/events.js';
import { createDeflateExtension } from '../src/protocol/deflate-extension.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import type { MessageExtension } from '../src/protocol/extension.js';
import { encodeFrameToBuffer } from '../src/protocol/frame.js';
import { checkWireSequence, parseWireFrames } from '../src/testing/catalogue/wire-parser.js';
import { zlibCompressor } from '../src/zlib/index.js';
import { DEFAULT_PARAMS, fragment, fuzzRuns, jsonLike } from './deflate-helpers.js';

const engines: Record<string, () => Compressor> = { pako: pakoCompressor, zlib: () => zlibCompressor() };
const MASK = Uint8Array.of(1, 2, 3, 4);

function server(extension?: MessageExtension, maxMessageSize?: number) {
  return new Connection({ role: 'server', now: () => 0, extension, ...(maxMessageSize === undefined ? {} : { maxMessageSize }) });
}

/** A frame as a client sends it (masked). */
function clientFrame(opcode: number, payload: Uint8Array, opts: { fin?: boolean; rsv1?: boolean } = {}) {
  return encodeFrameToBuffer({ opcode, payload, fin: opts.fin ?? true, rsv1: opts.rsv1 ?? false, maskKey: MASK });
}

/** Every event the connection produces, waiting for async extension work. */
async function events(conn: Connection): Promise<ConnectionEvent[]> {
  const out: ConnectionEvent[] = [];
  for (;;) {
    const event = conn.readEvent();
    if (event !== undefined) {
      out.push(event);
      continue;
    }
    const pending = conn.pending();
    if (pending === undefined) return out;
    await pending;
  }
}

/** The frames the (server) connection wrote, parsed by the independent wire parser and checked in order. */
async function framesOut(conn: Connection) {
  while (conn.pending() !== undefined) await conn.pending();
  const frames = parseWireFrames(conn.takeOutput(), { sender: 'server', rsv1: true });
  checkWireSequence(frames);
  return frames;
}

function closeCodeOf(list: ConnectionEvent[]): number | undefined {
  const failure = list.find((e) => e.type === 'error');
  return failure?.type === 'error' ? failure.error.closeCode : undefined;
}

describe('RSV1 rules (RFC 7692 §6, RFC 6455 §5.2)', () => {
  it('RSV1 without a negotiated extension fails with 1002', async () => {
    const conn = server();
    conn.receive(clientFrame(0x1, new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), { rsv1: true }));
    expect(closeCodeOf(await events(conn))).toBe(1002);
  });

  it.each(Object.keys(engines))('%s: RSV1 on a continuation frame fails with 1002', async (engine) => {
    const ext = createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: engines[engine]!() });
    const conn = server(ext);
    conn.receive(clientFrame(0x1, Uint8Array.of(0xf2, 0x48), { fin: false, rsv1: true }));
    conn.receive(clientFrame(0x0, Uint8Array.of(0xcd, 0xc9, 0xc9, 0x07, 0x00), { rsv1: true }));
    expect(closeCodeOf(await events(conn))).toBe(1002);
  });

  it.each(Object.keys(engines))('%s: RSV1 on a control frame fails with 1002', async (engine) => {
    const ext = createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: engines[engine]!() });
    const conn = server(ext);
    conn.receive(clientFrame(0x9, Uint8Array.of(0), { rsv1: true }));
    expect(closeCodeOf(await events(conn))).toBe(1002);
  });
});

describe.each(Object.keys(engines))('%s engine inside a Connection', (engine) => {
  const make = (threshold = 0, maxMessageSize?: number) =>
    server(createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: engines[engine]!(), threshold }), maxMessageSize);

  it('inflates a compressed message split over frames, RSV1 on the first only, with a ping between', async () => {
    const conn = make();
    const hello = Uint8Array.of(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00);
    conn.receive(clientFrame(0x1, hello.subarray(0, 3), { fin: false, rsv1: true }));
    conn.receive(clientFrame(0x9, Uint8Array.of(1)));
    conn.receive(clientFrame(0x0, hello.subarray(3)));
    // Context takeover: the second "Hello" refers back to the first (RFC 7692 §7.2.3.2).
    conn.receive(clientFrame(0x1, Uint8Array.of(0xf2, 0x00, 0x11, 0x00, 0x00), { rsv1: true }));
    // An uncompressed message (RSV1 clear) passes through untouched.
    conn.receive(clientFrame(0x1, new TextEncoder().encode('plain')));
    const list = await events(conn);
    expect(list.map((e) => e.type)).toEqual(['ping', 'text', 'text', 'text']);
    expect(list.filter((e) => e.type === 'text').map((e) => (e as { data: string }).data)).toEqual(['Hello', 'Hello', 'plain']);
  });

  it('sends RSV1 on the first frame of a compressed message only, never on control frames, not below the threshold', async () => {
    const conn = make(64);
    const big = jsonLike(1, 5000);
    conn.sendBinary(big.subarray(0, 2000), false);
    conn.sendBinary(big.subarray(2000), true);
    conn.ping(Uint8Array.of(9));
    conn.sendText('tiny');
    conn.sendBinary(big);
    const frames = await framesOut(conn);
    // Fragmented sends are whole frames; whatever the framing, RSV1 is on data starts only.
    const starts = frames.filter((f) => f.opcode !== 0x0 && f.opcode < 0x8);
    for (const f of frames) {
      if (f.opcode >= 0x8 || f.opcode === 0x0) expect(f.rsv1).toBe(false);
    }
    const tiny = starts.find((f) => f.payload.length === 4);
    expect(tiny?.rsv1).toBe(false);
    expect(frames.find((f) => f.opcode === 0x9)?.rsv1).toBe(false);
    // The peer can inflate what we sent.
    const peer = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: pakoCompressor() });
    const compressedWhole = starts.filter((f) => f.rsv1 && f.fin);
    const last = compressedWhole[compressedWhole.length - 1]!;
    // Feed every compressed message in order to keep the peer's context in step.
    const messages: Uint8Array[][] = [];
    let current: Uint8Array[] | undefined;
    for (const f of frames) {
      if (f.opcode >= 0x8) continue;
      if (f.opcode !== 0x0) current = f.rsv1 ? [] : undefined;
      current?.push(f.payload);
      if (f.fin && current) {
        messages.push(current);
        current = undefined;
      }
    }
    const inflated = [];
    for (const m of messages) inflated.push(await peer.decode(m, 1 << 20));
    expect(inflated[inflated.length - 1]).toEqual(big);
    expect(last.rsv1).toBe(true);
    peer.dispose();
  });

  it('a compressed message that inflates past maxMessageSize closes with 1009', async () => {
    const conn = make(0, 64 * 1024);
    const sender = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: pakoCompressor(), threshold: 0 });
    const bomb = (await sender.encode(new Uint8Array(1 << 20)))!;
    expect(bomb.length).toBeLessThan(2048);
    conn.receive(clientFrame(0x2, bomb, { rsv1: true }));
    expect(closeCodeOf(await events(conn))).toBe(1009);
    sender.dispose();
  });

  it('corrupt compressed data closes with 1007', async () => {
    const conn = make();
    conn.receive(clientFrame(0x2, Uint8Array.of(0xff, 0xff, 0xff), { rsv1: true }));
    expect(closeCodeOf(await events(conn))).toBe(1007);
  });
});

describe('dispose', () => {
  it('the Connection releases the compressor contexts once closed', async () => {
    let disposed = 0;
    const base = pakoCompressor();
    const counting: Compressor = {
      name: 'counting',
      createDeflater: (o) => {
        const d = base.createDeflater(o);
        return { deflate: (x) => d.deflate(x), reset: () => d.reset(), dispose: () => (disposed++, d.dispose()) };
      },
      createInflater: (o) => {
        const i = base.createInflater(o);
        return { inflate: (x, m) => i.inflate(x, m), reset: () => i.reset(), dispose: () => (disposed++, i.dispose()) };
      },
    };
    const conn = server(createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: counting, threshold: 0 }));
    conn.sendText('x'.repeat(100));
    conn.receive(clientFrame(0x1, Uint8Array.of(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00), { rsv1: true }));
    await events(conn);
    expect(disposed).toBe(0);
    conn.close(1000);
    conn.receive(clientFrame(0x8, Uint8Array.of(0x03, 0xe8)));
    conn.receiveEof();
    await events(conn);
    expect(conn.state).toBe('closed');
    expect(disposed).toBe(2);
  });
});

describe('fragmented compressed messages', () => {
  it('property: any split of a compressed message into frames, in any chunking, decodes like the message in one frame', async () => {
    const pako = pakoCompressor();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4000 }),
        fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: 6 }),
        fc.integer({ min: 1, max: 512 }),
        async (size, cuts, chunk) => {
          const text = jsonLike(size + 1, size);
          const sender = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: pako, threshold: 0 });
          const compressed = await sender.encode(text);
          sender.dispose();
          const pieces = fragment(compressed!, cuts);
          const frames = pieces.map((piece, i) =>
            clientFrame(i === 0 ? 0x1 : 0x0, piece, { fin: i === pieces.length - 1, rsv1: i === 0 }),
          );
          const wire = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
          let at = 0;
          for (const f of frames) {
            wire.set(f, at);
            at += f.length;
          }
          const conn = server(createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: pakoCompressor(), threshold: 0 }));
          for (let i = 0; i < wire.length; i += chunk) conn.receive(wire.slice(i, i + chunk));
          const got = await events(conn);
          expect(got).toEqual([{ type: 'text', data: new TextDecoder().decode(text) }]);
        },
      ),
      { seed: 0x7692, numRuns: Math.min(fuzzRuns(200), 5000) },
    );
  });
});

describe('per-message compress switch (send(data, { compress: false }))', () => {
  for (const [name, engine] of Object.entries(engines)) {
    it(`compress: false sends a message above the threshold plain, in order behind compressed ones (${name})`, async () => {
      const conn = server(createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: engine(), threshold: 16 }));
      const a = jsonLike(1, 4000);
      const b = jsonLike(2, 4000);
      const c = jsonLike(3, 4000);
      conn.sendBinary(a); // compressed (async with node:zlib: b must wait behind it)
      conn.sendBinary(b, true, false);
      conn.sendText(new TextDecoder().decode(c), true, false);
      conn.sendBinary(a);
      const frames = (await framesOut(conn)).filter((f) => f.opcode < 0x8);
      expect(frames.map((f) => [f.opcode, f.rsv1])).toEqual([
        [0x2, true],
        [0x2, false],
        [0x1, false],
        [0x2, true],
      ]);
      expect(frames[1]!.payload).toEqual(b);
      expect(frames[2]!.payload).toEqual(c);
      conn.close();
    });
  }

  it('property: any mix of compress on/off round-trips through a peer, in order, RSV1 exactly where compression was allowed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 8 }),
        async (sends) => {
          const threshold = 1024;
          const conn = server(createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: pakoCompressor(), threshold }));
          const sent = sends.map(([size, binary, compress], i) => ({ bytes: jsonLike(i + 1, size), binary, compress }));
          for (const m of sent) {
            if (m.binary) conn.sendBinary(m.bytes, true, m.compress);
            else conn.sendText(m.bytes, true, m.compress);
          }
          const frames = (await framesOut(conn)).filter((f) => f.opcode < 0x8);
          expect(frames).toHaveLength(sent.length);
          const peer = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: pakoCompressor() });
          for (let i = 0; i < sent.length; i++) {
            const m = sent[i]!;
            const f = frames[i]!;
            expect(f.opcode).toBe(m.binary ? 0x2 : 0x1);
            expect(f.rsv1).toBe(m.compress && m.bytes.length >= threshold);
            expect(f.rsv1 ? await peer.decode([f.payload], 1 << 20) : f.payload).toEqual(m.bytes);
          }
          peer.dispose();
          conn.close();
        },
      ),
      { seed: Number(process.env.FW_FUZZ_SEED ?? 42), numRuns: Math.min(fuzzRuns(100), 2000) },
    );
  });
});

describe('compressed text is validated as it inflates (fail fast)', () => {
  /** The real engine, with a count of the output bytes its inflater produced. */
  function counting(engine: () => Compressor): { compressor: Compressor; produced: () => number } {
    const inner = engine();
    let produced = 0;
    return {
      produced: () => produced,
      compressor: {
        name: inner.name,
        createDeflater: (o) => inner.createDeflater(o),
        createInflater: (o) => {
          const inflater = inner.createInflater(o);
          return {
            inflate: (input, max, onOutput) =>
              inflater.inflate(input, max, (chunk) => {
                produced += chunk.length;
                return onOutput === undefined ? true : onOutput(chunk);
              }),
            reset: () => inflater.reset(),
            dispose: () => inflater.dispose(),
          };
        },
      },
    };
  }

  async function compressedTextFrame(text: Uint8Array): Promise<Uint8Array> {
    const sender = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: pakoCompressor(), threshold: 0 });
    const compressed = await sender.encode(text);
    sender.dispose();
    return clientFrame(0x1, compressed!, { rsv1: true });
  }

  for (const [name, engine] of Object.entries(engines)) {
    it(`closes 1007 after the first inflated chunk when it is not UTF-8, not after the whole message (${name})`, async () => {
      const size = 8 * 1024 * 1024;
      const text = new Uint8Array(size).fill(0x61);
      text[10] = 0xc0; // an overlong lead byte: never valid
      const frame = await compressedTextFrame(text);
      const { compressor, produced } = counting(engine);
      const conn = server(createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor, threshold: 0 }), 16 * 1024 * 1024);
      conn.receive(frame);
      const got = await events(conn);
      const error = got.find((e) => e.type === 'error');
      expect(error?.type === 'error' ? [error.error.code, error.error.closeCode] : undefined).toEqual(['FW_ERR_INVALID_UTF8', 1007]);
      expect(produced()).toBeGreaterThan(0);
      expect(produced()).toBeLessThan(size / 16); // stopped within the first chunks
      expect(conn.state).not.toBe('open');
    });

    it(`a compressed text ending inside a UTF-8 sequence closes 1007; valid text split anywhere decodes (${name})`, async () => {
      const euro = new TextEncoder().encode('€'.repeat(30_000)); // 3-byte sequences across every output chunk boundary
      const ok = server(createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: engine(), threshold: 0 }), 1 << 20);
      ok.receive(await compressedTextFrame(euro));
      expect(await events(ok)).toEqual([{ type: 'text', data: '€'.repeat(30_000) }]);
      const cut = euro.subarray(0, euro.length - 1);
      const bad = server(createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: engine(), threshold: 0 }), 1 << 20);
      bad.receive(await compressedTextFrame(cut));
      const got = await events(bad);
      const error = got.find((e) => e.type === 'error');
      expect(error?.type === 'error' ? error.error.closeCode : undefined).toBe(1007);
    });
  }
});
