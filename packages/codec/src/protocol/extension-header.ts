/**
 * `Sec-WebSocket-Extensions` parsing and serializing (RFC 6455 §9.1), shared
 * by both roles and by extension negotiators such as permessage-deflate.
 *
 * @module
 */
import { UsageError } from './errors.js';
import { isToken, isTokenChar } from './header-tokens.js';

/**
 * One extension offer (client) or one accepted extension (server response):
 * `permessage-deflate; client_max_window_bits; server_max_window_bits=10`
 * is `{ name: 'permessage-deflate', params: [['client_max_window_bits', true],
 * ['server_max_window_bits', '10']] }`. Parameters keep their order and their
 * duplicates, so a negotiator can refuse a repeated parameter (RFC 7692 §7).
 */
export interface ExtensionOffer {
  readonly name: string;
  /** `[name, value]`; `true` for a parameter without a value. */
  readonly params: ReadonlyArray<readonly [string, string | true]>;
}

/** The result of parsing a header: the value, or why it is malformed. */
export type HeaderParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/**
 * Parse every `Sec-WebSocket-Extensions` line of a head, in order (RFC 6455
 * §9.1, with the RFC 7230 §7 list rule: empty list elements are ignored,
 * whitespace around `,`, `;` and `=` is allowed). A quoted parameter value is
 * unescaped and must then be a token, as §9.1 requires.
 *
 * @example
 * parseExtensions(['permessage-deflate; client_max_window_bits, x-foo'])
 * // { ok: true, value: [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
 * //                     { name: 'x-foo', params: [] }] }
 */
export function parseExtensions(values: readonly string[]): HeaderParseResult<ExtensionOffer[]> {
  const offers: ExtensionOffer[] = [];
  for (const value of values) {
    const reason = parseOne(value, offers);
    if (reason !== undefined) return { ok: false, reason };
  }
  return { ok: true, value: offers };
}

function parseOne(s: string, out: ExtensionOffer[]): string | undefined {
  let i = 0;
  const n = s.length;
  const skipOws = (): void => {
    while (i < n && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    return s.slice(start, i);
  };
  for (;;) {
    skipOws();
    if (i >= n) return undefined;
    if (s[i] === ',') {
      i++; // empty list element (RFC 7230 §7)
      continue;
    }
    const name = token();
    if (name.length === 0) return `Expected an extension name at offset ${i}`;
    const params: Array<readonly [string, string | true]> = [];
    skipOws();
    while (i < n && s[i] === ';') {
      i++;
      skipOws();
      const param = token();
      if (param.length === 0) return `Expected a parameter name at offset ${i}`;
      skipOws();
      let paramValue: string | true = true;
      if (i < n && s[i] === '=') {
        i++;
        skipOws();
        if (i < n && s[i] === '"') {
          // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 7230 §3.2.6)
          i++;
          let text = '';
          for (;;) {
            if (i >= n) return 'Unterminated quoted string';
            const c = s.charCodeAt(i);
            if (c === 0x22) break;
            if (c === 0x5c) {
              i++;
              if (i >= n) return 'Unterminated quoted string';
            }
            const e = s.charCodeAt(i);
            if ((e < 0x20 && e !== 0x09) || e === 0x7f) return 'Control character in quoted string';
            text += s[i];
            i++;
          }
          i++;
          // RFC 6455 §9.1: after unescaping, a quoted value must be a token.
          if (!isToken(text)) return `Quoted value of ${param} is not a token`;
          paramValue = text;
        } else {
          const bare = token();
          if (bare.length === 0) return `Expected a value for ${param}`;
          paramValue = bare;
        }
        skipOws();
      }
      params.push(Object.freeze([param, paramValue] as const));
    }
    out.push(Object.freeze({ name, params: Object.freeze(params) }));
    if (i < n) {
      if (s[i] !== ',') return `Unexpected character ${JSON.stringify(s[i])} at offset ${i}`;
      i++;
    }
  }
}

/**
 * Serialize offers as one `Sec-WebSocket-Extensions` value:
 * `name; param; param=value, name2`.
 *
 * @throws UsageError (`FW_ERR_INVALID_ARGUMENT`) when a name, parameter name
 *   or value is not a token (RFC 6455 §9.1 allows nothing else, even quoted).
 */
export function serializeExtensions(offers: readonly ExtensionOffer[]): string {
  const parts: string[] = [];
  for (const offer of offers) {
    if (!isToken(offer.name)) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Invalid extension name: ${JSON.stringify(offer.name)}`);
    }
    let text = offer.name;
    for (const [param, value] of offer.params) {
      if (!isToken(param)) {
        throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Invalid extension parameter: ${JSON.stringify(param)}`);
      }
      if (value === true) {
        text += '; ' + param;
      } else if (isToken(value)) {
        text += '; ' + param + '=' + value;
      } else {
        throw new UsageError(
          'FW_ERR_INVALID_ARGUMENT',
          `Invalid value for extension parameter ${param}: ${JSON.stringify(value)}`,
        );
      }
    }
    parts.push(text);
  }
  return parts.join(', ');
}
