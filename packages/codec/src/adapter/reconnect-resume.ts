/**
 * The `framewire.v1` hub subprotocol as the reconnecting client reads it:
 * every delivery is one JSON text `{"topic":"NAME","id":"ID","data":"…"}`
 * (with `"binary":true`, `data` is base64), and a client that comes back
 * asks for what it missed with `?since=ID` on the topic URL.
 *
 * @module
 */

/** The subprotocol name of the hub's envelope. */
export const HUB_PROTOCOL = 'framewire.v1';

/** One hub delivery, decoded. */
export interface HubMessage {
  /** The topic it was published to. */
  readonly topic: string;
  /** Its id in the topic's log: pass it back as `since` to resume after it. */
  readonly id: string;
  /** The payload: text, or bytes when the publisher sent binary. */
  readonly data: string | Uint8Array;
}

/** A delivery that is not a valid `framewire.v1` envelope. */
export class HubEnvelopeError extends Error {
  override readonly name = 'HubEnvelopeError';
}

/**
 * Decode one `framewire.v1` delivery (a text message).
 * @throws HubEnvelopeError when it is binary, not JSON, or misses a field.
 */
export function decodeHubEnvelope(text: unknown): HubMessage {
  if (typeof text !== 'string') throw new HubEnvelopeError('framewire.v1 deliveries are text messages');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HubEnvelopeError('framewire.v1 delivery is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw new HubEnvelopeError('framewire.v1 delivery is not a JSON object');
  const { topic, data, binary } = value as Record<string, unknown>;
  // A numeric id is taken as its decimal text (a hub may count with numbers).
  const raw = (value as Record<string, unknown>)['id'];
  const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  if (typeof topic !== 'string' || typeof id !== 'string' || id === '' || typeof data !== 'string') {
    throw new HubEnvelopeError('framewire.v1 delivery needs string "topic", "id" and "data"');
  }
  if (binary !== undefined && typeof binary !== 'boolean') throw new HubEnvelopeError('framewire.v1 "binary" must be a boolean');
  return { topic, id, data: binary === true ? fromBase64(data) : data };
}

/** `href` with its `since` query parameter set to `id` (replacing any present); the fragment is kept. */
export function withSince(href: string, id: string): string {
  const hash = href.indexOf('#');
  const fragment = hash < 0 ? '' : href.slice(hash);
  const base = hash < 0 ? href : href.slice(0, hash);
  const q = base.indexOf('?');
  const path = q < 0 ? base : base.slice(0, q);
  const params = q < 0 ? [] : base.slice(q + 1).split('&').filter((pair) => pair !== '' && !/^since(=|$)/.test(pair));
  params.push(`since=${encodeURIComponent(id)}`);
  return `${path}?${params.join('&')}${fragment}`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Standard padded base64 (RFC 4648 §4) to bytes; the codec may not use
 * `atob`/`Buffer` (ARCHITECTURE.md's global rule).
 * @throws HubEnvelopeError on a length that is not a multiple of 4 or a character outside the alphabet.
 */
export function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new HubEnvelopeError('base64 data length is not a multiple of 4');
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const code = text.charCodeAt(i + j);
      const last = i + 4 === text.length;
      const isPad = code === 61 && last && j >= 4 - pad;
      const v = isPad ? 0 : code < 128 ? DECODE[code]! : -1;
      if (v < 0) throw new HubEnvelopeError('base64 data has a character outside the alphabet');
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
