// followRedirects: Location resolution (RFC 3986 §5.2) checked against the
// WHATWG URL parser, and which headers cross an origin.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headersForRedirect, removeDotSegments, resolveLocation, targetHref } from '../src/adapter/redirect.js';
import { parseWebSocketUrl } from '../src/protocol/handshake-client.js';

const runs = Number(process.env.FW_FUZZ_RUNS ?? 1000);
const base = parseWebSocketUrl('ws://example.com:8080/a/b/c?q=1');

describe('resolveLocation', () => {
  it('resolves the RFC 3986 §5.4 style cases like URL does', () => {
    const cases: Array<[string, string]> = [
      ['wss://other.example/x', 'wss://other.example/x'],
      ['https://other.example/x', 'https://other.example/x'],
      ['//other.example/x', 'ws://other.example/x'],
      ['/top', 'ws://example.com:8080/top'],
      ['sibling', 'ws://example.com:8080/a/b/sibling'],
      ['./here?x=2', 'ws://example.com:8080/a/b/here?x=2'],
      ['../up', 'ws://example.com:8080/a/up'],
      ['../../../../too-far', 'ws://example.com:8080/too-far'],
      ['?only=query', 'ws://example.com:8080/a/b/c?only=query'],
      ['', 'ws://example.com:8080/a/b/c?q=1'],
      ['/x#frag', 'ws://example.com:8080/x'],
      ['..', 'ws://example.com:8080/a/'],
    ];
    for (const [location, expected] of cases) {
      expect(resolveLocation(base, location)).toBe(expected);
      expect(resolveLocation(base, location)).toBe(new URL(location, targetHref(base)).href.replace(/#.*$/, ''));
    }
  });

  it('agrees with URL for any relative path made of segments, dots and a query', () => {
    const segment = fc.constantFrom('a', 'b', '.', '..', '', 'x.y', '%20');
    const reference = fc
      .tuple(fc.boolean(), fc.array(segment, { maxLength: 6 }), fc.option(fc.constantFrom('?k=v', '?', '?a/b')))
      .map(([absolute, parts, query]) => (absolute ? '/' : '') + parts.join('/') + (query ?? ''))
      .filter((r) => r !== '' && !r.startsWith('//'));
    fc.assert(
      fc.property(reference, (ref) => {
        expect(resolveLocation(base, ref)).toBe(new URL(ref, targetHref(base)).href);
      }),
      { seed: 0x4ed1, numRuns: runs },
    );
  });

  it('removeDotSegments keeps a leading slash', () => {
    expect(removeDotSegments('/a/./b/../c')).toBe('/a/c');
    expect(removeDotSegments('/..')).toBe('/');
  });
});

describe('headersForRedirect', () => {
  const headers = { Authorization: 'Bearer t', Cookie: 'a=1', 'X-Trace': '7' };
  it('keeps every header within one origin', () => {
    const next = parseWebSocketUrl('ws://example.com:8080/elsewhere');
    expect(headersForRedirect(headers, base, next)).toBe(headers);
  });
  it('drops credentials when the host, port or scheme changes', () => {
    for (const other of ['ws://other.example:8080/', 'ws://example.com:8081/', 'wss://example.com:8080/']) {
      expect(headersForRedirect(headers, base, parseWebSocketUrl(other))).toEqual([['X-Trace', '7']]);
    }
  });
});
