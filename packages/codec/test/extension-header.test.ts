import { describe, expect, it } from 'vitest';
import { parseExtensions, serializeExtensions } from '../src/protocol/extension-header.js';
import { UsageError } from '../src/protocol/errors.js';
import { parseSubprotocols, selectSubprotocol, serializeSubprotocols } from '../src/protocol/subprotocol.js';

describe('parseExtensions (RFC 6455 §9.1)', () => {
  it('parses several offers across lines and comma lists, in order, with parameters', () => {
    const r = parseExtensions([
      'permessage-deflate; client_max_window_bits; server_max_window_bits=10',
      'permessage-deflate ,x-webkit-deflate-frame',
    ]);
    expect(r).toEqual({
      ok: true,
      value: [
        {
          name: 'permessage-deflate',
          params: [
            ['client_max_window_bits', true],
            ['server_max_window_bits', '10'],
          ],
        },
        { name: 'permessage-deflate', params: [] },
        { name: 'x-webkit-deflate-frame', params: [] },
      ],
    });
  });

  it('allows whitespace around ; and = and ignores empty list elements', () => {
    const r = parseExtensions([' ,  foo \t;\ta = 1 ;b ,, bar ', '']);
    expect(r).toEqual({
      ok: true,
      value: [
        { name: 'foo', params: [['a', '1'], ['b', true]] },
        { name: 'bar', params: [] },
      ],
    });
  });

  it('unescapes quoted values (quoted-pair) that are tokens after unescaping', () => {
    expect(parseExtensions(['foo; a="10"; b="x\\y"'])).toEqual({
      ok: true,
      value: [{ name: 'foo', params: [['a', '10'], ['b', 'xy']] }],
    });
  });

  it('keeps duplicate parameters so negotiation can refuse them', () => {
    const r = parseExtensions(['permessage-deflate; server_no_context_takeover; server_no_context_takeover']);
    expect(r.ok && r.value[0]?.params.length).toBe(2);
  });

  it('returns an empty list for no header', () => {
    expect(parseExtensions([])).toEqual({ ok: true, value: [] });
  });

  it.each([
    ['a parameter without a name', 'foo; =1'],
    ['a value missing after =', 'foo; a='],
    ['an unterminated quoted string', 'foo; a="10'],
    ['a quoted value that is not a token', 'foo; a="1 0"'],
    ['a quoted value with a control character', 'foo; a="1\u00010"'],
    ['a name that is not a token', 'fo@o'],
    ['text after an offer', 'foo bar'],
    ['a leading semicolon', '; a'],
    ['a value with a separator', 'foo; a=b/c'],
    ['an escape at the end', 'foo; a="\\'],
  ])('refuses %s', (_what, value) => {
    const r = parseExtensions([value]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
  });
});

describe('serializeExtensions', () => {
  it('writes name; param; param=value, joined by commas', () => {
    expect(
      serializeExtensions([
        { name: 'permessage-deflate', params: [['client_max_window_bits', true], ['server_max_window_bits', '10']] },
        { name: 'x', params: [] },
      ]),
    ).toBe('permessage-deflate; client_max_window_bits; server_max_window_bits=10, x');
  });

  it('round-trips through parseExtensions', () => {
    const text = 'a; b; c=1, d';
    const r = parseExtensions([text]);
    expect(r.ok && serializeExtensions(r.value)).toBe(text);
  });

  it.each([
    [{ name: 'bad name', params: [] }],
    [{ name: 'x', params: [['p p', true]] as const }],
    [{ name: 'x', params: [['p', 'a b']] as const }],
    [{ name: 'x', params: [['p', 'a\r\nX: y']] as const }],
  ])('refuses what is not a token: %j', (offer) => {
    expect(() => serializeExtensions([offer])).toThrow(UsageError);
  });
});

describe('Sec-WebSocket-Protocol (RFC 6455 §4.1 item 10)', () => {
  it('parses comma lists across lines', () => {
    expect(parseSubprotocols(['chat, superchat', 'v2.json'])).toEqual({ ok: true, value: ['chat', 'superchat', 'v2.json'] });
  });

  it('refuses duplicates and non-tokens', () => {
    expect(parseSubprotocols(['chat, chat']).ok).toBe(false);
    expect(parseSubprotocols(['ch at']).ok).toBe(false);
    expect(parseSubprotocols(['a/b']).ok).toBe(false);
  });

  it('serializes and refuses bad values', () => {
    expect(serializeSubprotocols(['a', 'b'])).toBe('a, b');
    expect(serializeSubprotocols([])).toBe('');
    expect(() => serializeSubprotocols(['a', 'a'])).toThrow(UsageError);
    expect(() => serializeSubprotocols(['a\r\n'])).toThrow(UsageError);
    expect(() => serializeSubprotocols([''])).toThrow(UsageError);
  });

  it('selects in server preference order, case-sensitively', () => {
    expect(selectSubprotocol(['v1', 'v2'], ['v2', 'v1'])).toBe('v2');
    expect(selectSubprotocol(['v1', 'v2'], ['v3', 'v1'])).toBe('v1');
    expect(selectSubprotocol(['V1'], ['v1'])).toBeUndefined();
    expect(selectSubprotocol([], ['v1'])).toBeUndefined();
  });
});
