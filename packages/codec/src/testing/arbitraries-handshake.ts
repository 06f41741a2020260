/**
 * fast-check arbitraries for the opening handshake: tokens, extension offers
 * and their many textual spellings, valid upgrade requests and responses, and
 * mutations of them. Exported for users who fuzz their own servers.
 *
 * @module
 */
import fc from 'fast-check';
import { toBase64 } from '../protocol/base64.js';
import { computeAcceptKey } from '../protocol/accept-key.js';
import type { ExtensionOffer } from '../protocol/extension-header.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');
const enc = new TextEncoder();

/** An HTTP token (RFC 7230 §3.2.6), 1 to `maxLength` characters. */
export function tokenArbitrary(maxLength = 12): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...TCHARS), { minLength: 1, maxLength }).map((chars) => chars.join(''));
}

/** An extension offer: a token name and token parameters, some without a value. */
export function extensionOfferArbitrary(): fc.Arbitrary<ExtensionOffer> {
  return fc.record({
    name: tokenArbitrary(),
    params: fc.array(fc.tuple(tokenArbitrary(), fc.oneof(fc.constant(true as const), tokenArbitrary())), {
      maxLength: 4,
    }),
  });
}

/** Optional whitespace as senders write it: nothing, spaces, tabs. */
function owsArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constant(''), weight: 3 },
    { arbitrary: fc.array(fc.constantFrom(' ', '\t'), { minLength: 1, maxLength: 3 }).map((s) => s.join('')), weight: 1 },
  );
}

/** A quoted spelling of a token value, escaping some characters needlessly. */
function quotedArbitrary(value: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: value.length, maxLength: value.length }).map(
    (escapes) => '"' + [...value].map((ch, i) => (escapes[i] ? '\\' + ch : ch)).join('') + '"',
  );
}

/**
 * Offers and one of the many ways to write them as `Sec-WebSocket-Extensions`
 * lines: whitespace around `,` `;` `=`, quoted values with escapes, empty list
 * elements, offers spread over several lines. `parseExtensions(values)` must
 * give back `offers`.
 */
export function extensionHeaderArbitrary(): fc.Arbitrary<{ offers: ExtensionOffer[]; values: string[] }> {
  return fc.array(extensionOfferArbitrary(), { maxLength: 5 }).chain((offers) => {
    const offerTexts = offers.map((offer) =>
      fc
        .tuple(
          fc.tuple(...offer.params.map(([name, value]) =>
            fc
              .tuple(owsArbitrary(), owsArbitrary(), owsArbitrary(), owsArbitrary(), value === true ? fc.constant('') : fc.oneof(fc.constant(value), quotedArbitrary(value)))
              .map(([a, b, c, d, v]) => `${a};${b}${name}` + (value === true ? '' : `${c}=${d}${v}`)),
          )),
          owsArbitrary(),
        )
        .map(([params, ws]) => offer.name + params.join('') + ws),
    );
    return fc.tuple(fc.tuple(...offerTexts), fc.array(fc.nat(), { maxLength: 4 }), fc.array(owsArbitrary(), { maxLength: 8 }), fc.boolean()).map(
      ([texts, breaks, spaces, emptyElement]) => {
        // Distribute the offers over lines at the chosen breaks.
        const lines: string[][] = [[]];
        texts.forEach((text, i) => {
          if (i > 0 && breaks.includes(i)) lines.push([]);
          lines[lines.length - 1]!.push((spaces[i % Math.max(1, spaces.length)] ?? '') + text);
        });
        const values = lines.map((parts) => (emptyElement ? ', ' : '') + parts.join(',' + (spaces[0] ?? '')));
        return { offers, values };
      },
    );
  });
}

/** What a generated upgrade request must parse to. */
export interface UpgradeRequestSpec {
  readonly path: string;
  readonly query: string;
  readonly host: string;
  readonly key: string;
  readonly origin: string | undefined;
  readonly protocols: string[];
  readonly extensions: ExtensionOffer[];
  /** The request bytes. */
  readonly bytes: Uint8Array;
}

/** A name spelled in random letter case. */
function caseVariant(name: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
    [...name].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''),
  );
}

const PATH_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-._~%!$&()*+,;=:@/'.split('');

/**
 * A valid WebSocket upgrade request (RFC 6455 §4.1) with random path, query,
 * header order, header-name case, `Upgrade`/`Connection` lists, subprotocols,
 * extension offers and unrelated headers.
 */
export function upgradeRequestArbitrary(): fc.Arbitrary<UpgradeRequestSpec> {
  return fc
    .record({
      path: fc.array(fc.constantFrom(...PATH_CHARS), { maxLength: 30 }).map((c) => '/' + c.join('')),
      query: fc.option(fc.array(fc.constantFrom(...PATH_CHARS, '?'), { maxLength: 20 }).map((c) => c.join('')), { nil: undefined }),
      host: fc.oneof(fc.domain(), fc.constant('127.0.0.1:8080'), fc.constant('[::1]:9000')),
      nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      origin: fc.option(fc.webUrl().map((u) => u.replace(/^(https?:\/\/[^/?#]+).*$/, '$1')), { nil: undefined }),
      protocols: fc.uniqueArray(tokenArbitrary(), { maxLength: 4 }),
      extensions: extensionHeaderArbitrary(),
      upgrade: fc.constantFrom('websocket', 'WebSocket', 'h2c, websocket', 'websocket ,foo'),
      connection: fc.constantFrom(['Upgrade'], ['keep-alive, Upgrade'], ['upgrade'], ['keep-alive', 'UPGRADE']),
      extra: fc.array(fc.tuple(fc.constantFrom('X-Trace', 'User-Agent', 'Cookie', 'Accept', 'Pragma'), fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/)), { maxLength: 5 }),
      version: fc.constantFrom('1.1', '1.2'),
      shuffle: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
      names: fc.tuple(caseVariant('Host'), caseVariant('Upgrade'), caseVariant('Connection'), caseVariant('Sec-WebSocket-Key'), caseVariant('Sec-WebSocket-Version')),
    })
    .map((r) => {
      const key = toBase64(r.nonce);
      const lines: Array<[string, string]> = [
        [r.names[0], r.host],
        [r.names[1], r.upgrade],
        ...r.connection.map((c): [string, string] => [r.names[2], c]),
        [r.names[3], key],
        [r.names[4], '13'],
        ...r.extra,
      ];
      if (r.origin !== undefined) lines.push(['Origin', r.origin]);
      if (r.protocols.length > 0) lines.push(['Sec-WebSocket-Protocol', r.protocols.join(', ')]);
      for (const value of r.extensions.values) lines.push(['Sec-WebSocket-Extensions', value]);
      // Shuffle header order (stable for repeated fields: sort by a key, keep ties).
      // Extension lines share one sort key: their relative order is the offer order.
      const extensionKey = r.shuffle[15]! % 7;
      const order = lines.map((line, i) => ({
        line,
        k: line[0] === 'Sec-WebSocket-Extensions' ? extensionKey : r.shuffle[i % 15]! % 7,
        i,
      }));
      order.sort((a, b) => a.k - b.k || a.i - b.i);
      const target = r.path + (r.query === undefined ? '' : '?' + r.query);
      const text = `GET ${target} HTTP/${r.version}\r\n` + order.map(({ line: [n, v] }) => `${n}: ${v}\r\n`).join('') + '\r\n';
      return {
        path: r.path,
        query: r.query ?? '',
        host: r.host,
        key,
        origin: r.origin,
        protocols: r.protocols,
        extensions: r.extensions.offers,
        bytes: enc.encode(text),
      };
    });
}

/** How a generated 101 response varies. See {@link renderUpgradeResponse}. */
export interface UpgradeResponseSpec {
  /** Index into the offered protocols to choose, or undefined for none. */
  readonly protocolIndex: number | undefined;
  /** Offered extensions to accept, by index. */
  readonly extensionIndexes: number[];
  readonly upgrade: string;
  readonly connection: string;
  readonly extra: Array<[string, string]>;
}

/** Variations of a valid 101 response. */
export function upgradeResponseSpecArbitrary(): fc.Arbitrary<UpgradeResponseSpec> {
  return fc.record({
    protocolIndex: fc.option(fc.nat(), { nil: undefined }),
    extensionIndexes: fc.array(fc.nat(), { maxLength: 3 }),
    upgrade: fc.constantFrom('websocket', 'WebSocket', 'WEBSOCKET'),
    connection: fc.constantFrom('Upgrade', 'upgrade', 'keep-alive, Upgrade'),
    extra: fc.array(fc.tuple(fc.constantFrom('Server', 'Date', 'Set-Cookie', 'X-Powered-By'), fc.stringMatching(/^[\x21-\x7e]{1,20}$/)), { maxLength: 4 }),
  });
}

/**
 * The bytes of a valid 101 answering a client that sent `key` and offered
 * `protocols` and `extensions`.
 */
export function renderUpgradeResponse(
  spec: UpgradeResponseSpec,
  key: string,
  protocols: readonly string[],
  extensions: readonly ExtensionOffer[],
): Uint8Array {
  const lines = [
    'HTTP/1.1 101 Switching Protocols',
    `Upgrade: ${spec.upgrade}`,
    `Connection: ${spec.connection}`,
    `Sec-WebSocket-Accept: ${computeAcceptKey(key)}`,
  ];
  if (spec.protocolIndex !== undefined && protocols.length > 0) {
    lines.push(`Sec-WebSocket-Protocol: ${protocols[spec.protocolIndex % protocols.length]}`);
  }
  if (extensions.length > 0 && spec.extensionIndexes.length > 0) {
    const names = spec.extensionIndexes.map((i) => extensions[i % extensions.length]!.name);
    lines.push(`Sec-WebSocket-Extensions: ${names.join(', ')}`);
  }
  for (const [name, value] of spec.extra) lines.push(`${name}: ${value}`);
  return enc.encode(lines.join('\r\n') + '\r\n\r\n');
}

/**
 * A mutation of a byte string: flip, insert, delete or overwrite a few bytes,
 * often with the characters that matter in a head (CR, LF, `:`, space, `,`).
 */
export function mutatedBytesArbitrary(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  const special = fc.constantFrom(0x0d, 0x0a, 0x3a, 0x20, 0x2c, 0x3b, 0x22, 0x09, 0x00, 0x7f, 0xff);
  const byte = fc.oneof(special, fc.integer({ min: 0, max: 255 }));
  const edit = fc.tuple(fc.constantFrom('set', 'insert', 'delete', 'truncate'), fc.nat(), byte);
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let out = [...bytes];
    for (const [kind, where, value] of edits) {
      const at = out.length === 0 ? 0 : where % out.length;
      if (kind === 'set' && out.length > 0) out[at] = value;
      else if (kind === 'insert') out.splice(at, 0, value);
      else if (kind === 'delete') out.splice(at, 1);
      else if (kind === 'truncate') out = out.slice(0, at);
    }
    return new Uint8Array(out);
  });
}
