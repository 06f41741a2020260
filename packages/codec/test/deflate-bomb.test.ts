// RFC 7692 §8.1: a small compressed message must not inflate
// without bound. Inflation stops at the budget and fails with 1009.
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Compressor } from '../src/protocol/compressor.js';
import { createDeflateExtension } from '../src/protocol/deflate-extension.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import { ProtocolError } from '../src/protocol/errors.js';
import { zlibCompressor } from '../src/zlib/index.js';
import { DEFAULT_PARAMS } from './deflate-helpers.js';

const MiB = 1024 * 1024;
const MAX_MESSAGE_SIZE = 16 * MiB;
const MEMORY_BOUND = 64 * MiB;

/**
 * `inflatedBytes` of zeros as one permessage-deflate payload (trailer
 * removed). DEFLATE caps the ratio near 1032:1, so 1 GiB needs about 1 MiB of
 * compressed bytes; built in 1 MiB steps so building it stays small too.
 */
function zeroBomb(inflatedBytes: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const deflate = zlib.createDeflateRaw({ level: 9, strategy: zlib.constants.Z_RLE });
    const chunks: Buffer[] = [];
    deflate.on('data', (c: Buffer) => chunks.push(c));
    deflate.on('error', reject);
    const step = Buffer.alloc(Math.min(MiB, inflatedBytes));
    for (let done = 0; done < inflatedBytes; done += step.length) deflate.write(step);
    deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      const all = Buffer.concat(chunks);
      deflate.close();
      resolve(new Uint8Array(all.subarray(0, all.length - 4))); // §7.2.1: trailer not sent
    });
  });
}

/** Samples rss and arrayBuffers every millisecond while `run` is pending, plus before and after. */
async function peakGrowth(run: () => unknown): Promise<{ rss: number; arrayBuffers: number; error: unknown }> {
  const base = process.memoryUsage();
  let rss = 0;
  let arrayBuffers = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss - base.rss);
    arrayBuffers = Math.max(arrayBuffers, m.arrayBuffers - base.arrayBuffers);
  };
  const timer = setInterval(sample, 1);
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  } finally {
    sample();
    clearInterval(timer);
  }
  return { rss, arrayBuffers, error };
}

const engines: Record<string, () => Compressor> = { pako: pakoCompressor, zlib: () => zlibCompressor() };

describe.each(Object.keys(engines))('%s: decompression bomb', (name) => {
  let gigabyte: Uint8Array;
  let fourMiB: Uint8Array;
  beforeAll(async () => {
    gigabyte = await zeroBomb(1024 * MiB);
    fourMiB = await zeroBomb(4 * MiB);
  });

  it(`a ~1 MiB message that would inflate to 1 GiB is refused with 1009, memory growth < 64 MiB (max message 16 MiB)`, async () => {
    expect(gigabyte.length).toBeLessThan(1.1 * MiB);
    const ext = createDeflateExtension({ role: 'server', params: DEFAULT_PARAMS, compressor: engines[name]!() });
    // Fragmented like a real message: 64 KiB frames.
    const fragments: Uint8Array[] = [];
    for (let i = 0; i < gigabyte.length; i += 64 * 1024) fragments.push(gigabyte.subarray(i, i + 64 * 1024));
    const started = performance.now();
    const result = await peakGrowth(() => ext.decode(fragments, MAX_MESSAGE_SIZE));
    const elapsed = performance.now() - started;
    ext.dispose();
    expect(result.error).toBeInstanceOf(ProtocolError);
    expect((result.error as ProtocolError).code).toBe('FW_ERR_MESSAGE_TOO_BIG');
    expect((result.error as ProtocolError).closeCode).toBe(1009);
    expect(result.rss).toBeLessThan(MEMORY_BOUND);
    expect(result.arrayBuffers).toBeLessThan(MEMORY_BOUND);
    // Inflating the whole gigabyte takes seconds; stopping at 16 MiB takes a small fraction.
    expect(elapsed).toBeLessThan(3000);
    console.info(`${name}: 1 GiB bomb (${gigabyte.length} bytes) refused in ${elapsed.toFixed(0)} ms; peak growth rss ${(result.rss / MiB).toFixed(1)} MiB, arrayBuffers ${(result.arrayBuffers / MiB).toFixed(1)} MiB`);
  });

  it('a 4 KiB message that inflates to 4 MiB is refused under a 1 MiB limit', async () => {
    expect(fourMiB.length).toBeLessThan(5 * 1024);
    const ext = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: engines[name]!() });
    const result = await peakGrowth(() => ext.decode([fourMiB], MiB));
    ext.dispose();
    expect((result.error as ProtocolError).closeCode).toBe(1009);
    expect(result.arrayBuffers).toBeLessThan(8 * MiB);
  });

  it('the same 4 MiB message passes when the limit allows it', async () => {
    const ext = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor: engines[name]!() });
    const out = await ext.decode([fourMiB], 4 * MiB);
    ext.dispose();
    expect(out.length).toBe(4 * MiB);
    expect(out.every((b) => b === 0)).toBe(true);
  });
});

describe('zlib: onOverflow', () => {
  it('reports the dropped output of a refused message once, and never for one within the limit', async () => {
    const fourMiB = await zeroBomb(4 * MiB);
    const dropped: number[] = [];
    const compressor = zlibCompressor({ onOverflow: (bytes) => dropped.push(bytes) });
    const refused = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor });
    await expect(refused.decode([fourMiB], MiB)).rejects.toMatchObject({ closeCode: 1009 });
    refused.dispose();
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toBeGreaterThan(MiB);
    expect(dropped[0]).toBeLessThanOrEqual(MiB + 64 * 1024);

    const allowed = createDeflateExtension({ role: 'client', params: DEFAULT_PARAMS, compressor });
    expect((await allowed.decode([fourMiB], 4 * MiB)).length).toBe(4 * MiB);
    allowed.dispose();
    expect(dropped).toHaveLength(1);
  });
});
