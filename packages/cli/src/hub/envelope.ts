/**
 * The hub's two envelopes: the `framewire.v1` JSON a subscriber receives
 * (and `GET /topics/NAME/history` returns), and the small binary one that
 * carries a message's log id between hubs over a broker.
 *
 * @module
 */

/** What a `framewire.v1` subscriber receives for one message (binary payloads base64 with `binary: true`). */
export interface HubEnvelope {
  readonly topic: string;
  readonly id: string;
  readonly data: string;
  readonly binary?: true;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The `framewire.v1` envelope of one message. */
export function toEnvelope(topic: string, id: string, data: Uint8Array, binary: boolean): HubEnvelope {
  if (!binary) return { topic, id, data: decoder.decode(data) };
  return { topic, id, binary: true, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

/** Longest id carried between hubs (Redis stream ids are about 30 characters). */
const MAX_ID_BYTES = 255;

/** Broker message data: one byte of id length, the id (UTF-8), the payload. */
export function encodeBrokerData(id: string, payload: Uint8Array): Uint8Array {
  const idBytes = encoder.encode(id);
  if (idBytes.length > MAX_ID_BYTES) throw new RangeError(`a log id has at most ${MAX_ID_BYTES} bytes`);
  const out = new Uint8Array(1 + idBytes.length + payload.length);
  out[0] = idBytes.length;
  out.set(idBytes, 1);
  out.set(payload, 1 + idBytes.length);
  return out;
}

/** The id and payload of broker message data, or `undefined` when it is not a hub's. */
export function decodeBrokerData(data: Uint8Array): { id: string; payload: Uint8Array } | undefined {
  const length = data[0];
  if (length === undefined || length === 0 || data.length < 1 + length) return undefined;
  return { id: decoder.decode(data.subarray(1, 1 + length)), payload: data.subarray(1 + length) };
}
