import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareStreamIds, parseStreamId } from '../src/redis-stream-id.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const numRuns = Number(process.env.FW_FUZZ_RUNS ?? 500);
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('Redis stream ids', () => {
  it('property: compare orders (ms, seq) pairs lexicographically, as Redis does', () => {
    fc.assert(
      fc.property(u64, u64, u64, u64, (ms1, seq1, ms2, seq2) => {
        const expected = ms1 === ms2 ? Math.sign(Number(seq1 - seq2)) : Math.sign(Number(ms1 - ms2));
        expect(Math.sign(compareStreamIds(`${ms1}-${seq1}`, `${ms2}-${seq2}`))).toBe(expected);
        expect(compareStreamIds(`${ms1}-${seq1}`, `${ms1}-${seq1}`)).toBe(0);
      }),
      { seed, numRuns },
    );
  });

  it('property: compare is a total order (antisymmetric, transitive) on random ids', () => {
    const id = fc.tuple(fc.bigInt({ min: 0n, max: 5n }), fc.bigInt({ min: 0n, max: 5n })).map(([a, b]) => `${a}-${b}`);
    fc.assert(
      fc.property(id, id, id, (a, b, c) => {
        expect(Math.sign(compareStreamIds(a, b)) + Math.sign(compareStreamIds(b, a))).toBe(0);
        if (compareStreamIds(a, b) <= 0 && compareStreamIds(b, c) <= 0) expect(compareStreamIds(a, c)).toBeLessThanOrEqual(0);
      }),
      { seed, numRuns },
    );
  });

  it('property: any string is either a parseable id or refused with a TypeError', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '1', '9', '-', 'a', ' ', '+'), maxLength: 12 }), (raw) => {
        if (parseStreamId(raw) === undefined) expect(() => compareStreamIds(raw, '0-0')).toThrow(TypeError);
        else expect(compareStreamIds(raw, raw)).toBe(0);
      }),
      { seed, numRuns },
    );
  });

  it('refuses what Redis would not make', () => {
    for (const bad of ['', '1', '1-', '-1', '01-1', '1-01', '1-1-1', '18446744073709551616-0', '*', '(1-0']) expect(parseStreamId(bad)).toBeUndefined();
    expect(parseStreamId('18446744073709551615-0')).toEqual([18446744073709551615n, 0n]);
  });
});
