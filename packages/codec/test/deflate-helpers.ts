// Shared helpers for the permessage-deflate tests.
import { createDeflateExtension } from '../src/protocol/deflate-extension.js';
import type { Compressor } from '../src/protocol/compressor.js';
import type { DeflateParameters } from '../src/protocol/permessage-deflate.js';
import type { MessageExtension } from '../src/protocol/extension.js';

/** Runs under the property tests; FW_FUZZ_RUNS raises it for a manual long run. */
export function fuzzRuns(defaultRuns: number): number {
  const env = Number(process.env.FW_FUZZ_RUNS);
  return Number.isFinite(env) && env > 0 ? env : defaultRuns;
}

export const DEFAULT_PARAMS: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

/** A server-side and a client-side extension for the same agreed parameters. */
export function extensionPair(
  params: DeflateParameters,
  serverCompressor: Compressor,
  clientCompressor: Compressor,
  threshold = 0,
): { server: MessageExtension; client: MessageExtension } {
  return {
    server: createDeflateExtension({ role: 'server', params, compressor: serverCompressor, threshold }),
    client: createDeflateExtension({ role: 'client', params, compressor: clientCompressor, threshold }),
  };
}

/** Splits `data` into `n` fragments (some may be empty), like frames of one message. */
export function fragment(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(data.length, Math.max(0, c))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(data.subarray(last, p));
    last = p;
  }
  out.push(data.subarray(last));
  return out;
}

/** Text that compresses like JSON traffic, deterministic from `seed`. */
export function jsonLike(seed: number, bytes: number): Uint8Array {
  const parts: string[] = [];
  let total = 0;
  for (let k = 0; total < bytes; k++) {
    const s = JSON.stringify({ id: seed * 1000 + k, name: `user${(seed * 7 + k) % 97}`, tags: ['a', 'b', String(k % 13)], score: ((k * 31 + seed) % 1000) / 7 });
    parts.push(s);
    total += s.length + 1;
  }
  return new TextEncoder().encode(`[${parts.join(',')}]`).subarray(0, bytes);
}
