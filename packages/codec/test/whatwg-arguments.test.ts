// The argument checks of the WHATWG shapes (src/whatwg/websocket-url.ts):
// the constructor's URL and subprotocol rules and close()'s code and reason
// rules, as unit cases from the standard and as properties against a
// reference written from the standard's text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeArguments, utf8Length, webSocketProtocols, webSocketUrl } from '../src/whatwg/websocket-url.js';

const encoder = new TextEncoder();
const runs = Number(process.env.FW_FUZZ_RUNS ?? 1000);
const nameOf = (fn: () => unknown): string => {
  try {
    fn();
    return 'none';
  } catch (error) {
    expect(error).toBeInstanceOf(DOMException);
    return (error as DOMException).name;
  }
};

describe('WebSocket URL (constructor steps 1-5)', () => {
  it('maps http(s) to ws(s) and keeps ws(s)', () => {
    expect(webSocketUrl('http://example.com/a?b').href).toBe('ws://example.com/a?b');
    expect(webSocketUrl('https://example.com:8443/').href).toBe('wss://example.com:8443/');
    expect(webSocketUrl(new URL('ws://127.0.0.1:80/x')).href).toBe('ws://127.0.0.1/x');
  });
  it('throws SyntaxError for an unparsable or relative URL, another scheme, or any fragment (even an empty one)', () => {
    for (const url of ['', '/relative', 'not a url', 'ftp://h/', 'file:///x', 'ws://h/#', 'ws://h/#x', 'https://h/?q#f']) {
      expect(nameOf(() => webSocketUrl(url)), url).toBe('SyntaxError');
    }
  });
  it('a percent-encoded # is not a fragment', () => {
    expect(webSocketUrl('ws://h/a%23b').href).toBe('ws://h/a%23b');
  });
});

describe('subprotocols (constructor steps 6-7)', () => {
  it('a string is a list of one; tokens pass; repeats, empty and non-token values throw SyntaxError', () => {
    expect(webSocketProtocols(undefined)).toEqual([]);
    expect(webSocketProtocols('chat')).toEqual(['chat']);
    expect(webSocketProtocols(['a', 'B', 'v1.chat+json'])).toEqual(['a', 'B', 'v1.chat+json']);
    for (const bad of [['a', 'a'], [''], ['a b'], ['a,b'], ['é'], ['a\u0000']]) expect(nameOf(() => webSocketProtocols(bad))).toBe('SyntaxError');
  });
  it('property: accepted exactly when every element is a token and none repeats', () => {
    const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.stringMatching(/^[a-z0-9.]{1,4}$/), fc.string({ maxLength: 4 })), { maxLength: 5 }), (list) => {
        const valid = list.every((p) => token.test(p)) && new Set(list).size === list.length;
        expect(nameOf(() => webSocketProtocols(list))).toBe(valid ? 'none' : 'SyntaxError');
      }),
      { seed: 0x20, numRuns: runs },
    );
  });
});

describe('close(code, reason) checks', () => {
  it('codes: 1000 and 3000-4999 pass, others throw InvalidAccessError; [Clamp] rounds half to even', () => {
    expect(closeArguments(1000, undefined)).toEqual({ code: 1000, reason: undefined });
    expect(closeArguments(4999.4, 'x')).toEqual({ code: 4999, reason: 'x' });
    expect(closeArguments(2999.5, undefined).code).toBe(3000);
    for (const code of [0, 999, 1001, 1005, 1006, 2999, 5000, 65535, -1, Number.NaN, 2999.4]) {
      expect(nameOf(() => closeArguments(code, undefined)), String(code)).toBe('InvalidAccessError');
    }
  });
  it('reasons: up to 123 UTF-8 bytes; longer throws SyntaxError; lone surrogates become U+FFFD', () => {
    expect(closeArguments(undefined, 'a'.repeat(123)).reason).toHaveLength(123);
    expect(nameOf(() => closeArguments(undefined, 'a'.repeat(124)))).toBe('SyntaxError');
    expect(nameOf(() => closeArguments(1000, '€'.repeat(42)))).toBe('SyntaxError'); // 126 bytes
    expect(closeArguments(1000, '\ud800').reason).toBe('\ufffd');
  });
  it('property: the code check runs before the reason check, as in the standard', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 70_000 }), fc.string({ unit: 'grapheme', maxLength: 80 }), (code, reason) => {
        const codeOk = code === 1000 || (code >= 3000 && code <= 4999);
        const reasonOk = new TextEncoder().encode(reason).length <= 123;
        expect(nameOf(() => closeArguments(code, reason))).toBe(!codeOk ? 'InvalidAccessError' : reasonOk ? 'none' : 'SyntaxError');
      }),
      { seed: 0x21, numRuns: runs },
    );
  });
  it('property: utf8Length equals TextEncoder (lone surrogates counted as U+FFFD)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 64 }), (text) =>
        utf8Length(text) === encoder.encode(text).length,
      ),
      { seed: 0x22, numRuns: runs },
    );
  });
});
