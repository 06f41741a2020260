// RFC 7692 §6, §7.2: per-message compression with both compressors and across them.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Compressor } from '../src/protocol/compressor.js';
import { DEFAULT_DEFLATE_THRESHOLD, createDeflateExtension } from '../src/protocol/deflate-extension.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import { ProtocolError } from '../src/protocol/errors.js';
import type { MessageExtension } from '../src/protocol/extension.js';
import type { DeflateParameters } from '../src/protocol/permessage-deflate.js';
import { ZlibLimiter, zlibCompressor } from '../src/zlib/index.js';
import { DEFAULT_PARAMS, extensionPair, fragment, fuzzRuns, jsonLike } from './deflate-helpers.js';

const hex = (s: string) => Uint8Array.from(s.split(' ').map((b) => Number.parseInt(b, 16)));
const utf8 = (s: string) => new TextEncoder().encode(s);
const HELLO = utf8('Hello');

const compressors: Record<string, () => Compressor> = {
  pako: pakoCompressor,
  zlib: () => zlibCompressor(),
};
const pairs = [
  ['pako', 'pako'],
  ['zlib', 'zlib'],
  ['pako', 'zlib'],
  ['zlib', 'pako'],
] as const;

const live: MessageExtension[] = [];
function track<T extends MessageExtension>(ext: T): T {
  live.push(ext);
  return ext;
}
afterEach(() => {
  for (const ext of live.splice(0)) ext.dispose();
});

function ext(name: keyof typeof compressors, role: 'client' | 'server', params: DeflateParameters = DEFAULT_PARAMS, threshold = 0) {
  return track(createDeflateExtension({ role, params, compressor: compressors[name]!(), threshold }));
}

async function rejection(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe.each(Object.keys(compressors))('%s: the RFC 7692 §7.2.3 examples', (name) => {
  const impl = name as keyof typeof compressors;

  it('§7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00 (trailer removed)', async () => {
    expect(await ext(impl, 'server').encode(HELLO)).toEqual(hex('f2 48 cd c9 c9 07 00'));
  });

  it('§7.2.3.2: with context takeover the second "Hello" is f2 00 11 00 00', async () => {
    const server = ext(impl, 'server');
    await server.encode(HELLO);
    expect(await server.encode(HELLO)).toEqual(hex('f2 00 11 00 00'));
    const client = ext(impl, 'client');
    expect(await client.decode([hex('f2 48 cd c9 c9 07 00')], 100)).toEqual(HELLO);
    expect(await client.decode([hex('f2 00 11 00 00')], 100)).toEqual(HELLO);
  });

  it('server_no_context_takeover: every "Hello" compresses alike', async () => {
    const server = ext(impl, 'server', { ...DEFAULT_PARAMS, serverNoContextTakeover: true });
    expect(await server.encode(HELLO)).toEqual(hex('f2 48 cd c9 c9 07 00'));
    expect(await server.encode(HELLO)).toEqual(hex('f2 48 cd c9 c9 07 00'));
    // The client-side takeover flag does not change what the server sends.
    const other = ext(impl, 'server', { ...DEFAULT_PARAMS, clientNoContextTakeover: true });
    await other.encode(HELLO);
    expect(await other.encode(HELLO)).toEqual(hex('f2 00 11 00 00'));
  });

  it('§7.2.3.3: a stored (uncompressed) block', async () => {
    expect(await ext(impl, 'client').decode([hex('00 05 00 fa ff 48 65 6c 6c 6f 00')], 100)).toEqual(HELLO);
  });

  it('§7.2.3.4: a block with BFINAL set, then the next message starts a new stream', async () => {
    const client = ext(impl, 'client');
    expect(await client.decode([hex('f3 48 cd c9 c9 07 00 00')], 100)).toEqual(HELLO);
    expect(await client.decode([hex('f2 48 cd c9 c9 07 00')], 100)).toEqual(HELLO);
  });

  it('§7.2.3.5: two DEFLATE blocks in one message, split over fragments', async () => {
    const data = hex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00');
    expect(await ext(impl, 'client').decode(fragment(data, [1, 6, 6, 9]), 100)).toEqual(HELLO);
  });

  it('§7.2.3.6: an empty message is the single byte 00 both ways', async () => {
    const server = ext(impl, 'server');
    expect(await server.encode(new Uint8Array(0))).toEqual(hex('00'));
    // A second empty message with context takeover gives zlib nothing to flush.
    expect(await server.encode(new Uint8Array(0))).toEqual(hex('00'));
    const client = ext(impl, 'client');
    expect(await client.decode([hex('00')], 0)).toEqual(new Uint8Array(0));
    expect(await client.decode([], 0)).toEqual(new Uint8Array(0));
  });

  it('corrupt data fails with 1007 FW_ERR_DECOMPRESSION', async () => {
    const error = await rejection(() => ext(impl, 'client').decode([hex('ff ff ff ff 00')], 1000));
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('FW_ERR_DECOMPRESSION');
    expect((error as ProtocolError).closeCode).toBe(1007);
  });

  it('output of exactly maxSize passes, one byte more fails with 1009', async () => {
    const message = jsonLike(3, 50_000);
    const wire = (await ext(impl, 'server').encode(message))!;
    expect(await ext(impl, 'client').decode([wire], message.length)).toEqual(message);
    const error = await rejection(() => ext(impl, 'client').decode([wire], message.length - 1));
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('FW_ERR_MESSAGE_TOO_BIG');
    expect((error as ProtocolError).closeCode).toBe(1009);
  });

  it('the threshold sends small messages as they are (default 1024 bytes)', async () => {
    expect(DEFAULT_DEFLATE_THRESHOLD).toBe(1024);
    const e = track(createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: compressors[impl]!() }));
    expect(e.encode(new Uint8Array(1023))).toBeUndefined();
    expect(await e.encode(new Uint8Array(1024))).toBeInstanceOf(Uint8Array);
  });

  it('dispose releases the contexts; later calls are refused', async () => {
    const e = ext(impl, 'server');
    await e.encode(HELLO);
    await e.decode([hex('f2 48 cd c9 c9 07 00')], 100);
    e.dispose();
    e.dispose();
    expect(() => e.encode(HELLO)).toThrow();
    expect(() => e.decode([hex('00')], 10)).toThrow();
  });
});

describe.each(pairs)('round trips %s → %s', (from, to) => {
  it('many messages, every takeover and window combination, in both directions', async () => {
    for (const serverNoContextTakeover of [false, true]) {
      for (const clientNoContextTakeover of [false, true]) {
        for (const [serverMaxWindowBits, clientMaxWindowBits] of [[15, 15], [8, 9], [10, 12], [9, 8]] as const) {
          const params = { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits };
          const server = track(createDeflateExtension({ role: 'server', params, compressor: compressors[from]!(), threshold: 0 }));
          const clientDecoder = track(createDeflateExtension({ role: 'client', params, compressor: compressors[to]!(), threshold: 0 }));
          const client = track(createDeflateExtension({ role: 'client', params, compressor: compressors[from]!(), threshold: 0 }));
          const serverDecoder = track(createDeflateExtension({ role: 'server', params, compressor: compressors[to]!(), threshold: 0 }));
          for (let i = 0; i < 12; i++) {
            // Repeats further apart than a small window so a compressor that
            // ignored window bits would make the peer fail ("distance too far back").
            const message = jsonLike(i % 3, 300 + i * 700);
            const down = (await server.encode(message))!;
            expect(await clientDecoder.decode(fragment(down, [i, i * 7]), message.length)).toEqual(message);
            const up = (await client.encode(message))!;
            expect(await serverDecoder.decode([up], message.length)).toEqual(message);
          }
        }
      }
    }
  });
});

describe('round-trip property (fixed seed)', () => {
  const params = fc.record({
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
    clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
  });
  // Repetitive bytes compress and reach back into the window; random ones do not.
  const message = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 60 })).map(([unit, n]) => {
      const out = new Uint8Array(unit.length * n);
      for (let i = 0; i < n; i++) out.set(unit, i * unit.length);
      return out;
    }),
  );
  const cuts = fc.array(fc.nat({ max: 2500 }), { maxLength: 3 });

  it.each(pairs)('%s → %s: decode(encode(messages)) = messages, any fragmentation', async (from, to) => {
    const runs = fuzzRuns(10_000);
    await fc.assert(
      fc.asyncProperty(params, fc.array(fc.tuple(message, cuts), { minLength: 1, maxLength: 4 }), async (p, messages) => {
        const { server } = extensionPair(p, compressors[from]!(), compressors[to]!());
        const { client } = extensionPair(p, compressors[from]!(), compressors[to]!());
        try {
          for (const [m, c] of messages) {
            const wire = (await server.encode(m))!;
            expect(await client.decode(fragment(wire, c), m.length)).toEqual(m);
          }
        } finally {
          server.dispose();
          client.dispose();
        }
      }),
      { seed: 7692, numRuns: runs },
    );
  });
});

describe('node:zlib specifics', () => {
  it('the limiter never runs more jobs than its concurrency, and keeps FIFO order', async () => {
    const limiter = new ZlibLimiter(2);
    let peak = 0;
    const order: number[] = [];
    const jobs = Array.from({ length: 8 }, (_, i) =>
      limiter.run(async () => {
        peak = Math.max(peak, limiter.running);
        order.push(i);
        await new Promise((r) => setTimeout(r, 2));
        return i;
      }),
    );
    expect(limiter.pending).toBe(6);
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(() => new ZlibLimiter(0)).toThrow(RangeError);
  });

  it('hundreds of connections compressing at once all finish through a small shared limiter', async () => {
    const limiter = new ZlibLimiter(4);
    const compressor = zlibCompressor({ limiter });
    const message = jsonLike(1, 20_000);
    const exts = Array.from({ length: 300 }, () => track(createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor, threshold: 0 })));
    const decoder = ext('pako', 'client', { ...DEFAULT_PARAMS, serverNoContextTakeover: true });
    let peak = 0;
    const results = await Promise.all(
      exts.map(async (e) => {
        const out = await e.encode(message);
        peak = Math.max(peak, limiter.running);
        return out!;
      }),
    );
    expect(peak).toBeLessThanOrEqual(4);
    // Each connection had a fresh context, so every one produced the same bytes.
    for (const r of results) expect(r).toEqual(results[0]);
    expect(decoder.decode([results[0]!], message.length)).toEqual(message);
  });

  it('dispose while a job waits in the limiter settles it instead of hanging', async () => {
    const limiter = new ZlibLimiter(1);
    let release!: () => void;
    const blocker = limiter.run(() => new Promise<void>((r) => (release = r)));
    const e = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: zlibCompressor({ limiter }), threshold: 0 });
    const pending = e.encode(HELLO) as Promise<Uint8Array>;
    const decoding = e.decode([hex('f2 48 cd c9 c9 07 00')], 100) as Promise<Uint8Array>;
    e.dispose();
    release();
    await blocker;
    await expect(pending).rejects.toThrow();
    await expect(decoding).rejects.toBeInstanceOf(ProtocolError);
  });
});
