import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBrokerMessage, encodeBrokerMessage, tokenToTopic, topicToToken } from '../src/index.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const numRuns = Number(process.env.FW_FUZZ_RUNS ?? 500);

const messageArb = fc.record({
  topic: fc.string({ unit: 'grapheme', maxLength: 40 }),
  data: fc.uint8Array({ maxLength: 300 }),
  binary: fc.boolean(),
  compress: fc.boolean(),
  origin: fc.string({ maxLength: 60 }),
});

describe('broker message encoding', () => {
  it('property: decode(encode(m)) = m', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const decoded = decodeBrokerMessage(encodeBrokerMessage(m));
        expect(decoded).toBeDefined();
        expect({ ...decoded!, data: [...decoded!.data] }).toEqual({ ...m, data: [...m.data] });
      }),
      { seed, numRuns },
    );
  });

  it('property: any bytes decode to a message or undefined, never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (raw) => {
        const decoded = decodeBrokerMessage(raw);
        if (decoded !== undefined) expect(encodeBrokerMessage(decoded)).toEqual(raw);
      }),
      { seed, numRuns },
    );
  });

  it('property: a truncated message never decodes to something longer', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(), (m, cut) => {
        const encoded = encodeBrokerMessage(m);
        const at = cut % (encoded.length + 1);
        const decoded = decodeBrokerMessage(encoded.subarray(0, at));
        if (decoded !== undefined) expect(decoded.data.length).toBeLessThanOrEqual(m.data.length);
      }),
      { seed, numRuns },
    );
  });

  it('refuses other versions, unknown flags and origins over 255 bytes', () => {
    const good = encodeBrokerMessage({ topic: 't', data: new Uint8Array([1]), binary: true, compress: false, origin: 'o' });
    expect(decodeBrokerMessage(Uint8Array.of(2, ...good.subarray(1)))).toBeUndefined();
    expect(decodeBrokerMessage(Uint8Array.of(1, 4, ...good.subarray(2)))).toBeUndefined();
    expect(decodeBrokerMessage(new Uint8Array(0))).toBeUndefined();
    expect(() => encodeBrokerMessage({ topic: 't', data: new Uint8Array(0), binary: false, compress: false, origin: 'x'.repeat(256) })).toThrow(RangeError);
  });
});

describe('NATS subject tokens', () => {
  it('property: tokenToTopic(topicToToken(t)) = t, and the token is a valid single subject token', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (topic) => {
        const token = topicToToken(topic);
        expect(token).toMatch(/^[A-Za-z0-9_~-]+$/);
        expect(tokenToTopic(token)).toBe(topic);
      }),
      { seed, numRuns },
    );
  });

  it('property: distinct topics get distinct tokens; non-canonical tokens map to no topic', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', '~', '2', 'e', 'Z', '.', ''), maxLength: 10 }), (a, b, raw) => {
        if (a !== b) expect(topicToToken(a)).not.toBe(topicToToken(b));
        const topic = tokenToTopic(raw);
        if (topic !== undefined) expect(topicToToken(topic)).toBe(raw);
      }),
      { seed, numRuns },
    );
  });

  it('escapes what NATS reserves', () => {
    expect(topicToToken('a.b')).toBe('a~2eb');
    expect(topicToToken('')).toBe('~');
    expect(topicToToken('>')).toBe('~3e');
    expect(tokenToTopic('~61')).toBeUndefined();
  });
});
