import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExtensions, serializeExtensions } from '../src/protocol/extension-header.js';
import { ClientHandshake, type ClientHandshakeResult } from '../src/protocol/handshake-client.js';
import { ServerHandshake, type ServerHandshakeResult } from '../src/protocol/handshake-server.js';
import { HeadParser, type ResponseHead } from '../src/protocol/http-head.js';
import { chunkBytes, chunkSizesArbitrary, concatBytes } from '../src/testing/arbitraries-frame.js';
import {
  extensionHeaderArbitrary,
  extensionOfferArbitrary,
  mutatedBytesArbitrary,
  renderUpgradeResponse,
  tokenArbitrary,
  upgradeRequestArbitrary,
  upgradeResponseSpecArbitrary,
} from '../src/testing/arbitraries-handshake.js';

// Cheap properties run FW_FUZZ_RUNS times (default 10,000); heavier ones at
// least 1,000. Raise FW_FUZZ_RUNS for a manual long fuzz run.
const RUNS = Number(process.env.FW_FUZZ_RUNS ?? 10_000);
const HEAVY_RUNS = Math.max(1000, Math.floor(RUNS / 10));
const SEED = 0x3e5a_1d;
const cheap = { seed: SEED, numRuns: RUNS };
const heavy = { seed: SEED, numRuns: HEAVY_RUNS };

const REJECT_STATUSES = new Set([400, 405, 414, 426, 431]);

/** Feed chunks until a final result; the rest bytes of the final chunk plus later chunks. */
function feedServer(chunks: Uint8Array[]): { result: ServerHandshakeResult; rest: Uint8Array } {
  const hs = new ServerHandshake();
  for (let i = 0; i < chunks.length; i++) {
    const result = hs.receive(chunks[i]!);
    if (result.type === 'request') return { result, rest: concatBytes([result.rest, ...chunks.slice(i + 1)]) };
    if (result.type === 'reject') return { result, rest: new Uint8Array(0) };
  }
  return { result: hs.receiveEof(), rest: new Uint8Array(0) };
}

function feedClient(hs: ClientHandshake, chunks: Uint8Array[]): { result: ClientHandshakeResult; rest: Uint8Array } {
  for (let i = 0; i < chunks.length; i++) {
    const result = hs.receive(chunks[i]!);
    if (result.type === 'accepted') return { result, rest: concatBytes([result.rest, ...chunks.slice(i + 1)]) };
    if (result.type === 'failed') return { result, rest: new Uint8Array(0) };
  }
  return { result: hs.receiveEof(), rest: new Uint8Array(0) };
}

/** The comparable part of a server result. */
function summary(result: ServerHandshakeResult): unknown {
  if (result.type !== 'request') return result.type === 'reject' ? { status: result.status, reason: result.reason } : result;
  const { request } = result;
  return {
    target: request.target,
    path: request.path,
    query: request.query,
    host: request.host,
    origin: request.origin,
    key: request.key,
    protocols: request.protocols,
    extensions: request.extensions,
    headers: [...request.headers],
  };
}

describe('handshake properties', () => {
  it('a valid request parses to its spec, the same in any chunking, tail bytes intact', () => {
    fc.assert(
      fc.property(upgradeRequestArbitrary(), chunkSizesArbitrary(64), fc.uint8Array({ maxLength: 20 }), (spec, sizes, tail) => {
        const whole = feedServer([concatBytes([spec.bytes, tail])]);
        expect(whole.result.type).toBe('request');
        if (whole.result.type !== 'request') return;
        const { request } = whole.result;
        expect(request.path).toBe(spec.path);
        expect(request.query).toBe(spec.query);
        expect(request.host).toBe(spec.host);
        expect(request.key).toBe(spec.key);
        expect(request.origin).toBe(spec.origin);
        expect(request.protocols).toEqual(spec.protocols);
        expect(request.extensions).toEqual(spec.extensions);
        expect([...whole.rest]).toEqual([...tail]);
        const chunked = feedServer(chunkBytes(concatBytes([spec.bytes, tail]), sizes));
        expect(summary(chunked.result)).toEqual(summary(whole.result));
        expect([...chunked.rest]).toEqual([...tail]);
      }),
      heavy,
    );
  });

  it('mutated requests never throw and end in a request or a defined rejection, in any chunking', () => {
    const mutated = upgradeRequestArbitrary().chain((spec) => mutatedBytesArbitrary(spec.bytes));
    fc.assert(
      fc.property(mutated, chunkSizesArbitrary(64), (bytes, sizes) => {
        const whole = feedServer([bytes]);
        const chunked = feedServer(chunkBytes(bytes, sizes));
        expect(summary(chunked.result)).toEqual(summary(whole.result));
        const { result } = whole;
        expect(['request', 'reject']).toContain(result.type);
        if (result.type === 'reject') {
          expect(REJECT_STATUSES.has(result.status)).toBe(true);
          const parsed = new HeadParser<ResponseHead>('response').push(result.response);
          expect(parsed.type === 'head' && parsed.head.status).toBe(result.status);
        }
      }),
      heavy,
    );
  });

  it('arbitrary bytes never throw and end in a defined result', () => {
    const noise = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((s) => new TextEncoder().encode(s)),
      fc.array(fc.constantFrom('GET / HTTP/1.1', '\r\n', 'Host: a', ':', ' ', '\n', '\r', 'Upgrade: websocket'), { maxLength: 30 }).map((parts) => new TextEncoder().encode(parts.join(''))),
    );
    fc.assert(
      fc.property(noise, chunkSizesArbitrary(32), (bytes, sizes) => {
        const { result } = feedServer(chunkBytes(bytes, sizes));
        if (result.type === 'reject') expect(REJECT_STATUSES.has(result.status)).toBe(true);
        else expect(result.type).toBe('request');
        const client = new ClientHandshake({ url: 'ws://h/', random: (b) => b.fill(1) });
        const reply = feedClient(client, chunkBytes(bytes, sizes));
        expect(['accepted', 'failed']).toContain(reply.result.type);
      }),
      cheap,
    );
  });

  it('a valid response is accepted the same in any chunking, with the tail handed back', () => {
    const setup = fc.record({
      nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      protocols: fc.uniqueArray(tokenArbitrary(), { maxLength: 3 }),
      extensions: fc.array(extensionOfferArbitrary(), { maxLength: 3 }),
      response: upgradeResponseSpecArbitrary(),
      sizes: chunkSizesArbitrary(64),
      tail: fc.uint8Array({ maxLength: 20 }),
    });
    fc.assert(
      fc.property(setup, ({ nonce, protocols, extensions, response, sizes, tail }) => {
        const make = (): ClientHandshake =>
          new ClientHandshake({ url: 'wss://example.com/x', protocols, extensions, random: (b) => b.set(nonce) });
        const first = make();
        const bytes = concatBytes([renderUpgradeResponse(response, first.key, protocols, extensions), tail]);
        const whole = feedClient(first, [bytes]);
        expect(whole.result.type).toBe('accepted');
        const chunked = feedClient(make(), chunkBytes(bytes, sizes));
        expect(chunked.result.type).toBe('accepted');
        if (whole.result.type !== 'accepted' || chunked.result.type !== 'accepted') return;
        expect(chunked.result.response.protocol).toBe(whole.result.response.protocol);
        expect(chunked.result.response.extensions).toEqual(whole.result.response.extensions);
        expect([...chunked.result.response.headers]).toEqual([...whole.result.response.headers]);
        expect([...whole.rest]).toEqual([...tail]);
        expect([...chunked.rest]).toEqual([...tail]);
      }),
      heavy,
    );
  });

  it('mutated responses never throw and end accepted or failed', () => {
    const setup = fc
      .record({ nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }), response: upgradeResponseSpecArbitrary() })
      .chain(({ nonce, response }) => {
        const key = new ClientHandshake({ url: 'ws://h/', protocols: ['a'], random: (b) => b.set(nonce) }).key;
        return fc.tuple(fc.constant(nonce), mutatedBytesArbitrary(renderUpgradeResponse(response, key, ['a'], [])));
      });
    fc.assert(
      fc.property(setup, chunkSizesArbitrary(64), ([nonce, bytes], sizes) => {
        const hs = new ClientHandshake({ url: 'ws://h/', protocols: ['a'], random: (b) => b.set(nonce) });
        const { result } = feedClient(hs, chunkBytes(bytes, sizes));
        expect(['accepted', 'failed']).toContain(result.type);
        if (result.type === 'failed') expect(result.error.code).toMatch(/^FW_ERR_HANDSHAKE_/);
      }),
      heavy,
    );
  });

  it('extension headers: parse gives the offers back; serialize(parse(x)) round-trips', () => {
    fc.assert(
      fc.property(extensionHeaderArbitrary(), ({ offers, values }) => {
        const parsed = parseExtensions(values);
        expect(parsed).toEqual({ ok: true, value: offers });
        if (!parsed.ok) return;
        const text = serializeExtensions(parsed.value);
        expect(text).toBe(serializeExtensions(offers));
        const again = parseExtensions([text]);
        expect(again).toEqual({ ok: true, value: offers });
        if (again.ok) expect(serializeExtensions(again.value)).toBe(text);
      }),
      cheap,
    );
  });

  it('extension header parsing never throws on arbitrary text', () => {
    const text = fc.string({
      unit: fc.constantFrom(...'ab=;,"\\ \t\x01x-_1'.split('')),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 3 }), (values) => {
        const parsed = parseExtensions(values);
        if (parsed.ok) {
          // Whatever parses serializes to something that parses to the same offers.
          expect(parseExtensions([serializeExtensions(parsed.value)])).toEqual(parsed);
        } else {
          expect(parsed.reason.length).toBeGreaterThan(0);
        }
      }),
      cheap,
    );
  });
});
