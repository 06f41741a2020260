/**
 * `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §1.3, §4.1, §4.2.2).
 *
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { toBase64 } from './base64.js';
import { defaultRandomSource, type RandomSource } from './random.js';

/** The GUID appended to the key before hashing (RFC 6455 §1.3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// RFC 6455 §4.1 item 7: base64 of 16 bytes is 22 base64 characters and "==".
const encoder = new TextEncoder();

const KEY_PATTERN = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Is `key` a valid `Sec-WebSocket-Key`: the base64 encoding of exactly 16
 * bytes (RFC 6455 §4.1 item 7, §4.2.1 item 5)?
 */
export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/**
 * The `Sec-WebSocket-Accept` value for a key: base64 of the SHA-1 of the key
 * followed by the GUID (RFC 6455 §4.2.2 item 5.4).
 *
 * @example
 * computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ==') // 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='
 */
export function computeAcceptKey(key: string): string {
  // The key is validated ASCII, so UTF-8 encoding is the ASCII bytes.
  return toBase64(sha1(encoder.encode(key + WEBSOCKET_GUID)));
}

/**
 * A fresh `Sec-WebSocket-Key`: 16 random bytes, base64 (RFC 6455 §4.1 item 7).
 *
 * @param random where the bytes come from; defaults to `crypto.getRandomValues`.
 */
export function generateKey(random: RandomSource = defaultRandomSource): string {
  const nonce = new Uint8Array(16);
  random(nonce);
  return toBase64(nonce);
}
