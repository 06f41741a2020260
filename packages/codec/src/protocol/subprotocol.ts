/**
 * `Sec-WebSocket-Protocol` parsing, serializing and selection (RFC 6455
 * §4.1 item 10, §4.2.2, §11.3.4).
 *
 * @module
 */
import { UsageError } from './errors.js';
import type { HeaderParseResult } from './extension-header.js';
import { isToken, trimOws } from './header-tokens.js';

/**
 * Parse the subprotocols a client offers: every `Sec-WebSocket-Protocol` line,
 * comma-separated, each element a token, all distinct (RFC 6455 §4.1 item 10).
 * Empty list elements are ignored (RFC 7230 §7).
 */
export function parseSubprotocols(values: readonly string[]): HeaderParseResult<string[]> {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const protocol = trimOws(part);
      if (protocol.length === 0) continue;
      if (!isToken(protocol)) return { ok: false, reason: `Invalid subprotocol: ${JSON.stringify(protocol)}` };
      if (out.includes(protocol)) return { ok: false, reason: `Duplicate subprotocol: ${protocol}` };
      out.push(protocol);
    }
  }
  return { ok: true, value: out };
}

/**
 * Serialize subprotocols as one `Sec-WebSocket-Protocol` value (`a, b`).
 *
 * @throws UsageError (`FW_ERR_INVALID_ARGUMENT`) for an empty list element, a
 *   name that is not a token or a duplicate.
 */
export function serializeSubprotocols(protocols: readonly string[]): string {
  const seen = new Set<string>();
  for (const protocol of protocols) {
    if (typeof protocol !== 'string' || !isToken(protocol)) {
      throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Invalid subprotocol: ${JSON.stringify(protocol)}`);
    }
    if (seen.has(protocol)) throw new UsageError('FW_ERR_INVALID_ARGUMENT', `Duplicate subprotocol: ${protocol}`);
    seen.add(protocol);
  }
  return protocols.join(', ');
}

/**
 * Pick the subprotocol to accept, in the **server's** preference order: the
 * first entry of `supported` that the client offered (compared exactly, as
 * subprotocol names are case-sensitive). `undefined` when none matches: accept
 * without a subprotocol, or reject, as the application prefers.
 *
 * @example
 * selectSubprotocol(['chat.v1', 'chat.v2'], ['chat.v2', 'chat.v1']) // 'chat.v2'
 */
export function selectSubprotocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  for (const protocol of supported) if (offered.includes(protocol)) return protocol;
  return undefined;
}
