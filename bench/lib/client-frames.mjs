// The load generator's side of the wire, written by hand on purpose: it must
// cost the same against every server, so frames are built once up front and
// responses are only counted, never decoded (RFC 6455 §5.2 header walk).
import { createHash, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The offer used for the compressed cases (RFC 7692 §7.1): the client keeps
 *  no context, so every frame it sends is the same pre-built bytes, while the
 *  server may keep its compression context (the target case). */
export const DEFLATE_OFFER = 'permessage-deflate; client_no_context_takeover';

/**
 * Builds the HTTP/1.1 upgrade request for one connection (RFC 6455 §4.1).
 * @param {{ host: string, port: number, deflate: boolean }} opts
 * @returns {{ request: Buffer, expectedAccept: string }}
 */
export function buildUpgradeRequest({ host, port, deflate }) {
  const key = randomBytes(16).toString('base64');
  const lines = [
    'GET / HTTP/1.1',
    `Host: ${host}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (deflate) lines.push(`Sec-WebSocket-Extensions: ${DEFLATE_OFFER}`);
  const request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const expectedAccept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
  return { request, expectedAccept };
}

/**
 * Parses a complete HTTP response head (the bytes before CRLF CRLF).
 * @param {string} head latin1 text of the head
 * @param {string} expectedAccept
 * @returns {{ ok: true, extensions: string } | { ok: false, reason: string }}
 */
export function checkUpgradeResponse(head, expectedAccept) {
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  if (!/^HTTP\/1\.1 101\b/.test(statusLine)) return { ok: false, reason: `status line "${statusLine}"` };
  let accept = '';
  let extensions = '';
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'sec-websocket-accept') accept = value;
    else if (name === 'sec-websocket-extensions') extensions = extensions ? `${extensions}, ${value}` : value;
  }
  // RFC 6455 §4.2.2 step 5.4: the accept value proves the server read our key.
  if (accept !== expectedAccept) return { ok: false, reason: 'wrong Sec-WebSocket-Accept' };
  return { ok: true, extensions };
}

/**
 * One client frame (FIN set, masked as RFC 6455 §5.3 requires), payload
 * masked with a fresh random key.
 * @param {number} opcode 1 text, 2 binary
 * @param {Uint8Array} payload
 * @param {boolean} rsv1 set for a compressed message (RFC 7692 §6)
 * @returns {Buffer}
 */
export function buildMaskedFrame(opcode, payload, rsv1 = false) {
  const len = payload.length;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const frame = Buffer.allocUnsafe(2 + lenBytes + 4 + len);
  frame[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  // RFC 6455 §5.2: the shortest length form.
  if (lenBytes === 0) frame[1] = 0x80 | len;
  else if (lenBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    frame.writeUInt32BE(len >>> 0, 6);
  }
  const keyAt = 2 + lenBytes;
  const key = randomBytes(4);
  key.copy(frame, keyAt);
  const dataAt = keyAt + 4;
  for (let i = 0; i < len; i++) frame[dataAt + i] = payload[i] ^ key[i & 3];
  return frame;
}

/**
 * A ring of `count` frames (frame i carries payloads[i % payloads.length],
 * each with its own mask key), stored twice back to back so that any run of
 * up to `count` consecutive frames, starting anywhere, is one subarray: the
 * generator sends k frames with a single write and no copying.
 * @param {number} count
 * @param {number} opcode
 * @param {Uint8Array[]} payloads
 * @param {boolean} rsv1
 * @returns {{ ring: Buffer, offsets: number[], count: number }} frames c..c+k-1
 *   are ring.subarray(offsets[c], offsets[c + k]) for any c < count, k ≤ count
 */
export function buildFrameRing(count, opcode, payloads, rsv1 = false) {
  if (count < 1) throw new RangeError('buildFrameRing: count must be at least 1');
  const frames = [];
  for (let i = 0; i < count; i++) frames.push(buildMaskedFrame(opcode, payloads[i % payloads.length], rsv1));
  const twice = [...frames, ...frames];
  const offsets = [0];
  for (const frame of twice) offsets.push(offsets[offsets.length - 1] + frame.length);
  return { ring: Buffer.concat(twice), offsets, count };
}

/**
 * RFC 7692 §7.2.1: compress one message without context and drop the final
 * empty stored block's 4-byte tail (00 00 ff ff).
 * @param {Uint8Array} message
 * @returns {Buffer}
 */
export function deflateMessage(message) {
  const out = deflateRawSync(message, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  const tail = out.subarray(out.length - 4);
  if (tail[0] === 0 && tail[1] === 0 && tail[2] === 0xff && tail[3] === 0xff) return out.subarray(0, out.length - 4);
  return out;
}

/**
 * Deterministic JSON-like text of exactly `size` bytes: an array of records
 * with repeating keys and varying values, compressible the way real chat or
 * telemetry payloads are (neither random nor one repeated byte). Different
 * `variant`s give different values in the same shape.
 * @param {number} size
 * @param {number} variant
 * @returns {Buffer}
 */
export function jsonLikeText(size, variant = 0) {
  let seed = (0x2545f491 + variant * 0x9e3779b1) >>> 0 || 1;
  const next = () => {
    // xorshift32: fixed seed so every run sends the same bytes.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  let text = '[';
  for (let i = 0; text.length < size; i++) {
    const user = words[next() % words.length];
    const room = words[next() % words.length];
    text += `${i ? ',' : ''}{"id":${next() % 100000},"user":"${user}${next() % 100}","room":"${room}",`;
    text += `"ts":${1700000000000 + (next() % 1000000)},"score":${(next() % 10000) / 100},"ok":${next() % 2 === 0}}`;
  }
  return Buffer.from(text.slice(0, size - 1) + ']', 'latin1');
}

/**
 * Counts whole messages in server→client bytes without decoding them: walks
 * frame headers (RFC 6455 §5.2), skips payloads, keeps a split header in a
 * 14-byte spill. A message ends at a data frame (opcode 0, 1 or 2) with FIN.
 */
export class MessageCounter {
  constructor() {
    /** payload bytes of the current frame still to skip */
    this.skip = 0;
    /** whether the current frame ends a data message */
    this.endsMessage = false;
    this.spill = Buffer.alloc(14);
    this.spillLength = 0;
    /** set once a close frame (opcode 8) has been seen */
    this.closeSeen = false;
    /** RSV1 seen on a first frame: the server compressed (RFC 7692 §6) */
    this.compressedSeen = false;
    /** payload bytes announced by data-frame headers: the size on the wire */
    this.payloadBytes = 0;
  }

  /**
   * @param {Uint8Array} chunk
   * @returns {number} messages completed in this chunk
   */
  push(chunk) {
    let done = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - i);
        this.skip -= take;
        i += take;
        if (this.skip === 0 && this.endsMessage) done++;
        continue;
      }
      // Header: read directly from the chunk when it is all there.
      let header = chunk;
      let at = i;
      if (this.spillLength === 0 && n - i >= 2) {
        const need = headerSize(chunk[i + 1]);
        if (n - i < need) {
          this.spillFrom(chunk, i, n - i);
          return done;
        }
        i += need;
      } else {
        // Join a header split across reads.
        if (this.spillLength < 2) {
          const take = Math.min(2 - this.spillLength, n - i);
          this.spillFrom(chunk, i, take);
          i += take;
          if (this.spillLength < 2) return done;
        }
        const need = headerSize(this.spill[1]);
        const take = Math.min(need - this.spillLength, n - i);
        this.spillFrom(chunk, i, take);
        i += take;
        if (this.spillLength < need) return done;
        header = this.spill;
        at = 0;
        this.spillLength = 0;
      }
      const b0 = header[at];
      const len7 = header[at + 1] & 0x7f;
      let length = len7;
      if (len7 === 126) length = (header[at + 2] << 8) | header[at + 3];
      else if (len7 === 127) {
        const hi = ((header[at + 2] << 24) >>> 0) + ((header[at + 3] << 16) | (header[at + 4] << 8) | header[at + 5]);
        const lo = ((header[at + 6] << 24) >>> 0) + ((header[at + 7] << 16) | (header[at + 8] << 8) | header[at + 9]);
        length = hi * 2 ** 32 + lo;
      }
      const opcode = b0 & 0x0f;
      if (opcode === 8) this.closeSeen = true;
      if ((b0 & 0x40) !== 0 && opcode !== 0) this.compressedSeen = true;
      this.endsMessage = (b0 & 0x80) !== 0 && opcode < 3;
      this.skip = length;
      if (opcode < 3) this.payloadBytes += length;
      if (length === 0 && this.endsMessage) done++;
    }
    return done;
  }

  /** @private */
  spillFrom(chunk, from, count) {
    for (let k = 0; k < count; k++) this.spill[this.spillLength++] = chunk[from + k];
  }
}

/** Header size of a server frame from its second byte (RFC 6455 §5.2). */
function headerSize(b1) {
  const len7 = b1 & 0x7f;
  const mask = (b1 & 0x80) !== 0 ? 4 : 0;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + mask;
}
