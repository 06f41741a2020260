// The runtime-neutral demo core without a network: chat input checks, the
// counters, the HTTP routes and the env parsing. Sessions are real codec
// sessions over the codec's in-memory transport.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAT_TEXT_LIMIT, NAME_LIMIT, cutCodePoints, readChatInput } from '../src/chat-room.js';
import { Demo, MAX_MESSAGE_BYTES } from '../src/demo.js';
import { listenAddressFromEnv, pageUrl } from '../src/entry.js';
import { loadAssets } from '../src/assets.js';
import { utf8Length } from '../src/payload.js';
import { MAX_CLOSES, RATE_WINDOW_SECONDS, Traffic } from '../src/traffic.js';

const RUNS = Math.min(Number(process.env['FW_FUZZ_RUNS'] ?? 200), 50_000);

describe('readChatInput', () => {
  it('passes a short message on and cuts a long one by code point, saying how long it was', () => {
    expect(readChatInput(JSON.stringify({ name: 'ada', text: 'hi' }), false)).toEqual({ ok: true, line: { type: 'chat', name: 'ada', text: 'hi' } });
    const long = '😀'.repeat(CHAT_TEXT_LIMIT + 5);
    const input = readChatInput(JSON.stringify({ text: long }), false);
    expect(input).toEqual({ ok: true, line: { type: 'chat', name: 'guest', text: '😀'.repeat(CHAT_TEXT_LIMIT), cut: { length: CHAT_TEXT_LIMIT + 5 } } });
  });

  it('refuses binary, non-JSON and wrong shapes with a reason', () => {
    expect(readChatInput(new Uint8Array([1]), true)).toMatchObject({ ok: false });
    for (const bad of ['nope', '42', 'null', '{"text":1}', '{"text":"a","name":5}', '[]']) {
      expect(readChatInput(bad, false)).toMatchObject({ ok: false });
    }
  });

  it('property: never throws; what passes has a bounded name and text and a cut flag exactly when cut', () => {
    const anyMessage = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 3000 }).map((text) => JSON.stringify({ name: 'n', text })),
      fc.record({ name: fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer()), text: fc.string({ unit: 'grapheme', maxLength: 2500 }) }).map((m) => JSON.stringify(m)),
      fc.json(),
      fc.string(),
    );
    fc.assert(
      fc.property(anyMessage, (data) => {
        const input = readChatInput(data, false);
        if (!input.ok) return;
        expect([...input.line.name].length).toBeLessThanOrEqual(NAME_LIMIT);
        const length = [...input.line.text].length;
        expect(length).toBeLessThanOrEqual(CHAT_TEXT_LIMIT);
        if (input.line.cut !== undefined) expect(input.line.cut.length).toBeGreaterThan(CHAT_TEXT_LIMIT);
        else expect(input.line.text).toBe((JSON.parse(data) as { text: string }).text);
      }),
      { numRuns: RUNS, seed: 4301 },
    );
  });
});

describe('cutCodePoints', () => {
  it('property: the first code points and the count, as the string iterator sees them', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constant('\ud83d'), fc.constant('\ude00'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 40 }), fc.integer({ min: 0, max: 45 }), (value, limit) => {
        const points = [...value];
        expect(cutCodePoints(value, limit)).toEqual({ text: points.slice(0, limit).join(''), length: points.length });
      }),
      { numRuns: RUNS, seed: 4304 },
    );
  });
});

describe('utf8Length', () => {
  it('property: equals the length TextEncoder produces (lone surrogates as U+FFFD)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
      }),
      { numRuns: RUNS, seed: 4302 },
    );
  });
});

describe('Traffic', () => {
  it('averages the last whole seconds and keeps the newest closes only', () => {
    let now = 10_000;
    const traffic = new Traffic(() => now);
    for (let i = 0; i < 10; i++) traffic.message(100);
    expect(traffic.snapshot()).toMatchObject({ messagesPerSecond: 0, bytesPerSecond: 0, messagesTotal: 10 });
    now += 1000;
    expect(traffic.snapshot()).toMatchObject({ messagesPerSecond: 10 / RATE_WINDOW_SECONDS, bytesPerSecond: 1000 / RATE_WINDOW_SECONDS });
    now += (RATE_WINDOW_SECONDS - 1) * 1000; // still inside the window
    expect(traffic.snapshot().messagesPerSecond).toBe(10 / RATE_WINDOW_SECONDS);
    now += 1000; // out of it
    expect(traffic.snapshot()).toMatchObject({ messagesPerSecond: 0, bytesPerSecond: 0, messagesTotal: 10 });
    for (let code = 4000; code < 4000 + MAX_CLOSES + 5; code++) traffic.closed({ path: '/echo', code, reason: '', at: now });
    const { closes } = traffic.snapshot();
    expect(closes).toHaveLength(MAX_CLOSES);
    expect(closes[0]?.code).toBe(4000 + MAX_CLOSES + 4);
  });
});

describe('Traffic property', () => {
  it('the rates equal a brute-force count over the last whole seconds, for any event sequence', () => {
    const event = fc.record({ advance: fc.integer({ min: 0, max: 2500 }), bytes: fc.integer({ min: 0, max: 1 << 20 }) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.array(event, { maxLength: 60 }), (start, events) => {
        let now = start;
        const traffic = new Traffic(() => now);
        const log: Array<{ second: number; bytes: number }> = [];
        for (const { advance, bytes } of events) {
          now += advance;
          traffic.message(bytes);
          log.push({ second: Math.floor(now / 1000), bytes });
          const current = Math.floor(now / 1000);
          const inWindow = log.filter((entry) => entry.second < current && entry.second >= current - RATE_WINDOW_SECONDS);
          const snapshot = traffic.snapshot();
          expect(snapshot.messagesPerSecond).toBe(Math.round(inWindow.length / RATE_WINDOW_SECONDS));
          expect(snapshot.bytesPerSecond).toBe(Math.round(inWindow.reduce((sum, entry) => sum + entry.bytes, 0) / RATE_WINDOW_SECONDS));
          expect(snapshot.messagesTotal).toBe(log.length);
        }
      }),
      { numRuns: RUNS, seed: 4303 },
    );
  });
});

describe('Demo.http', () => {
  it('serves the page, the favicon, /info and errors with their statuses', async () => {
    const demo = new Demo({ runtime: 'node', runtimeVersion: 'test', assets: await loadAssets() });
    try {
      const page = demo.http('GET', '/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(demo.http('GET', '/favicon.ico')).toMatchObject({ status: 200, headers: { 'content-type': 'image/svg+xml' } });
      expect(JSON.parse(String(demo.http('GET', '/info').body))).toEqual({
        runtime: 'node',
        runtimeVersion: 'test',
        maxMessageBytes: MAX_MESSAGE_BYTES,
        chatTextLimit: CHAT_TEXT_LIMIT,
        servedBy: { pid: 0, worker: 0 },
        processes: 1,
      });
      expect(demo.http('HEAD', '/')).toMatchObject({ status: 200, body: '' });
      expect(demo.http('POST', '/')).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
      expect(demo.http('GET', '/nope').status).toBe(404);
      expect(demo.http('GET', '/wire').status).toBe(400);
      expect(demo.http('GET', '/wire?id=../x').status).toBe(400);
      expect(demo.http('GET', '/wire?id=unknown').status).toBe(404);
    } finally {
      demo.dispose();
    }
  });

  it('every page file the HTML and scripts name is served', async () => {
    const demo = new Demo({ runtime: 'node', runtimeVersion: 'test', assets: await loadAssets() });
    try {
      const sources = ['/', '/app.js', '/echo-panel.js'].map((path) => new TextDecoder().decode(demo.http('GET', path).body as Uint8Array)).join('\n');
      const named = [...sources.matchAll(/(?:href|src)="(\/[^"]+)"|from '\.(\/[^']+)'/g)].map((m) => m[1] ?? m[2] ?? '');
      expect(named.length).toBeGreaterThan(3);
      for (const path of named) expect(demo.http('GET', path).status, path).toBe(200);
    } finally {
      demo.dispose();
    }
  });
});

describe('listenAddressFromEnv', () => {
  it('defaults to 127.0.0.1:8080, takes HOST and PORT, refuses a bad port', () => {
    expect(listenAddressFromEnv({})).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(listenAddressFromEnv({ HOST: '::1', PORT: '0' })).toEqual({ host: '::1', port: 0 });
    expect(() => listenAddressFromEnv({ PORT: '70000' })).toThrow(RangeError);
    expect(() => listenAddressFromEnv({ PORT: 'http' })).toThrow(RangeError);
    expect(pageUrl('::1', 8080)).toBe('http://[::1]:8080/');
  });
});
