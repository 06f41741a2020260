// The handshake's base64 encoder against Node's, for every length and byte.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeAcceptKey } from '../src/protocol/accept-key.js';
import { toBase64 } from '../src/protocol/base64.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 1000);

describe('toBase64', () => {
  it('matches RFC 4648 §10 test vectors', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) expect(toBase64(new TextEncoder().encode(plain))).toBe(encoded);
  });

  it('equals Buffer base64 for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      }),
      { seed: 0xba5e, numRuns: runs },
    );
  });

  it('gives the RFC 6455 §1.3 accept value', () => {
    expect(computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});
