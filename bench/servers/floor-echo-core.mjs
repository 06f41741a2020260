// The "floor": the least work a JavaScript WebSocket echo can do. Parse the
// upgrade request, then for every frame parse the header, unmask, write it
// back unmasked. No validation, no UTF-8 check, no limits: nothing a real
// server may skip. It only shows what the runtime's socket path costs.
// Runtime-neutral (node:crypto exists in Node, Bun and Deno); each
// floor-*.mjs file binds it to one runtime's raw TCP API.
// node:buffer for allocUnsafe: zero-filling a fresh 64 KiB Uint8Array per
// read costs more than the echo itself. All three runtimes provide it.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEAD_END = '\r\n\r\n';
const latin1 = new TextDecoder('latin1');
const ascii = new TextEncoder();

/**
 * One connection's echo state.
 * `receive(chunk)` may unmask `chunk` in place; it returns the bytes to write
 * (or undefined) and sets `closed` once a close frame was echoed.
 */
export class FloorEcho {
  constructor() {
    this.head = '';
    this.upgraded = false;
    this.closed = false;
    /** payload bytes of the current frame still to come */
    this.remaining = 0;
    this.mask = new Uint8Array(4);
    this.maskAt = 0;
    this.closeAfterPayload = false;
    this.spill = new Uint8Array(14);
    this.spillLength = 0;
  }

  /**
   * @param {Uint8Array} chunk bytes read from the socket (owned by the caller)
   * @returns {Uint8Array | undefined}
   */
  receive(chunk) {
    if (this.closed) return undefined;
    if (!this.upgraded) return this.receiveHead(chunk);
    return this.echoFrames(chunk, undefined);
  }

  /** RFC 6455 §4.2.2: answer the first request with 101 and the accept key. */
  receiveHead(chunk) {
    this.head += latin1.decode(chunk);
    const end = this.head.indexOf(HEAD_END);
    if (end < 0) return undefined;
    const key = /sec-websocket-key:[ \t]*([^\r\n \t]+)/i.exec(this.head.slice(0, end))?.[1] ?? '';
    const accept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
    const response = ascii.encode(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const restAt = end + HEAD_END.length;
    // The request is ASCII, so string offsets are byte offsets of this chunk's tail.
    const consumedBefore = this.head.length - chunk.length;
    this.upgraded = true;
    this.head = '';
    const rest = chunk.subarray(restAt - consumedBefore);
    return this.echoFrames(rest, response);
  }

  /**
   * Echoes every frame in `chunk`; output is never longer than the input
   * plus one header (mask keys are dropped, lengths keep their form).
   */
  echoFrames(chunk, prefix) {
    const prefixLength = prefix === undefined ? 0 : prefix.length;
    const out = Buffer.allocUnsafe(prefixLength + chunk.length + 14);
    if (prefix !== undefined) out.set(prefix, 0);
    let o = prefixLength;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - i);
        unmaskInPlace(chunk, i, take, this.mask, this.maskAt);
        out.set(chunk.subarray(i, i + take), o);
        o += take;
        i += take;
        this.maskAt = (this.maskAt + take) & 3;
        this.remaining -= take;
        if (this.remaining === 0 && this.closeAfterPayload) return this.finishClose(out, o);
        continue;
      }
      // Gather a whole header (2 to 14 bytes), joining reads when split.
      while (this.spillLength < 2 && i < n) this.spill[this.spillLength++] = chunk[i++];
      if (this.spillLength < 2) break;
      const b1 = this.spill[1];
      const len7 = b1 & 0x7f;
      const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      const need = 2 + extra + ((b1 & 0x80) !== 0 ? 4 : 0);
      while (this.spillLength < need && i < n) this.spill[this.spillLength++] = chunk[i++];
      if (this.spillLength < need) break;
      let length = len7;
      if (len7 === 126) length = (this.spill[2] << 8) | this.spill[3];
      else if (len7 === 127) {
        const s = this.spill;
        length = (((s[2] << 24) >>> 0) + ((s[3] << 16) | (s[4] << 8) | s[5])) * 2 ** 32;
        length += ((s[6] << 24) >>> 0) + ((s[7] << 16) | (s[8] << 8) | s[9]);
      }
      // RFC 6455 §5.1: the server's frames are never masked; keep the length form.
      out[o++] = this.spill[0];
      out[o++] = len7;
      for (let k = 0; k < extra; k++) out[o++] = this.spill[2 + k];
      if ((b1 & 0x80) !== 0) this.mask.set(this.spill.subarray(2 + extra, 6 + extra));
      else this.mask.fill(0);
      this.maskAt = 0;
      this.spillLength = 0;
      this.remaining = length;
      this.closeAfterPayload = (this.spill[0] & 0x0f) === 8;
      if (length === 0 && this.closeAfterPayload) return this.finishClose(out, o);
    }
    return o === 0 ? undefined : out.subarray(0, o);
  }

  /** RFC 6455 §5.5.1: echo the close frame, then stop reading. */
  finishClose(out, o) {
    this.closed = true;
    return out.subarray(0, o);
  }
}

/**
 * XORs `length` bytes at `from` with the mask, starting at mask offset
 * `maskAt`. Four bytes at a time on aligned words (little-endian rotate of
 * the key), bytes at the ragged ends: the loop a C helper would do.
 */
function unmaskInPlace(bytes, from, length, mask, maskAt) {
  let i = 0;
  const misalign = (4 - ((bytes.byteOffset + from) & 3)) & 3;
  const head = Math.min(misalign, length);
  for (; i < head; i++) bytes[from + i] ^= mask[(maskAt + i) & 3];
  const words = (length - i) >>> 2;
  if (words > 0) {
    const k = (maskAt + i) & 3;
    const key = (mask[k] | (mask[(k + 1) & 3] << 8) | (mask[(k + 2) & 3] << 16) | (mask[(k + 3) & 3] << 24)) >>> 0;
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + from + i, words);
    for (let w = 0; w < words; w++) view[w] ^= key;
    i += words * 4;
  }
  for (; i < length; i++) bytes[from + i] ^= mask[(maskAt + i) & 3];
}
