// The kit's own raw frame builder and parser. Written here on purpose, not
// imported from @framewire/codec: a conformance kit must not share bugs with
// the implementations it judges.
import { randomBytes } from 'node:crypto';

/** Opcodes of RFC 6455 §5.2 (plus the reserved ones a case may send on purpose). */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** Human name of an opcode, for traces. */
export function opcodeName(opcode: number): string {
  switch (opcode) {
    case 0x0: return 'cont';
    case 0x1: return 'text';
    case 0x2: return 'binary';
    case 0x8: return 'close';
    case 0x9: return 'ping';
    case 0xa: return 'pong';
    default: return `op${opcode.toString(16)}`;
  }
}

/** What a case asks the builder to put on the wire; every field may be wrong on purpose. */
export interface FrameSpec {
  readonly opcode: number;
  readonly payload?: Uint8Array | string;
  /** FIN bit; defaults to true. */
  readonly fin?: boolean;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
  /** true: random key, a 4-byte array: that key, false: unmasked. Default chosen by the sender's role. */
  readonly mask?: boolean | Uint8Array;
  /** Force a length form: 7-bit, 16-bit or 64-bit (non-minimal encodings on purpose). */
  readonly lengthForm?: 7 | 16 | 64;
  /** Claim this payload length in the header instead of the real one (oversized-frame cases). */
  readonly claimedLength?: bigint;
}

/** Bytes of a string or byte array. */
export function bytesOf(data: Uint8Array | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** XOR `data` with a 4-byte key, into a fresh buffer (RFC 6455 §5.3). */
export function applyMask(data: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] ?? 0) ^ (key[i & 3] ?? 0);
  return out;
}

/**
 * Encode one frame (RFC 6455 §5.2) exactly as `spec` says.
 * @param defaultMask whether to mask when the spec does not say (true for a client).
 */
export function buildFrame(spec: FrameSpec, defaultMask: boolean): Buffer {
  const payload = bytesOf(spec.payload ?? new Uint8Array(0));
  const length = spec.claimedLength ?? BigInt(payload.length);
  const form = spec.lengthForm ?? (length < 126n ? 7 : length < 65536n ? 16 : 64);
  const maskOpt = spec.mask ?? defaultMask;
  const key = maskOpt === false ? null : maskOpt === true ? randomBytes(4) : Buffer.from(maskOpt);
  const headLen = 2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (key ? 4 : 0);
  const head = Buffer.alloc(headLen);
  head[0] = ((spec.fin ?? true) ? 0x80 : 0) | (spec.rsv1 ? 0x40 : 0) | (spec.rsv2 ? 0x20 : 0) | (spec.rsv3 ? 0x10 : 0) | (spec.opcode & 0x0f);
  let at = 2;
  if (form === 7) head[1] = Number(length);
  else if (form === 16) {
    head[1] = 126;
    head.writeUInt16BE(Number(length), 2);
    at = 4;
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(length, 2);
    at = 10;
  }
  if (key) {
    head[1] = (head[1] ?? 0) | 0x80;
    key.copy(head, at);
  }
  return Buffer.concat([head, key ? applyMask(payload, key) : payload]);
}

/** Payload of a close frame: 2-byte code then the reason (RFC 6455 §5.5.1). */
export function closePayload(code: number, reason: Uint8Array | string = ''): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code & 0xffff, 0);
  return Buffer.concat([head, bytesOf(reason)]);
}

/** One frame as received, already unmasked. */
export interface ParsedFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
  /** Whether the length used the shortest form (RFC 6455 §5.2 "minimal number of bytes MUST be used"). */
  readonly minimalLength: boolean;
}

/** Result of feeding bytes: frames parsed so far, or the reason the byte stream is not a frame stream. */
export type ParseResult = { readonly frames: ParsedFrame[]; readonly error?: string };

/**
 * Incremental frame parser over a byte list. It only splits frames; the
 * judging of what they mean lives in the wire. Any chunking gives the same frames.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed = false;

  /** @param maxPayload frames claiming more than this are reported as an error, not buffered. */
  constructor(private readonly maxPayload = 256 * 1024 * 1024) {}

  /** Bytes waiting for the rest of a frame. */
  get pending(): number {
    return this.buffered;
  }

  /** Feed bytes; returns every frame completed by them. */
  push(data: Uint8Array): ParseResult {
    if (this.failed) return { frames: [] };
    if (data.length > 0) {
      this.chunks.push(bytesOf(data));
      this.buffered += data.length;
    }
    const frames: ParsedFrame[] = [];
    for (;;) {
      if (this.buffered < 2) return { frames };
      const head = this.peek(Math.min(this.buffered, 14));
      const b0 = head[0] ?? 0;
      const b1 = head[1] ?? 0;
      const masked = (b1 & 0x80) !== 0;
      let len = BigInt(b1 & 0x7f);
      let at = 2;
      let minimalLength = true;
      if (len === 126n) {
        if (head.length < 4) return { frames };
        len = BigInt(head.readUInt16BE(2));
        minimalLength = len >= 126n;
        at = 4;
      } else if (len === 127n) {
        if (head.length < 10) return { frames };
        len = head.readBigUInt64BE(2);
        minimalLength = len >= 65536n;
        at = 10;
        if (len >> 63n) {
          this.failed = true;
          return { frames, error: 'payload length with the most significant bit set (RFC 6455 §5.2)' };
        }
      }
      if (len > BigInt(this.maxPayload)) {
        this.failed = true;
        return { frames, error: `frame claims ${len} bytes, more than the kit accepts (${this.maxPayload})` };
      }
      const keyAt = at;
      if (masked) at += 4;
      const total = at + Number(len);
      if (this.buffered < total) return { frames };
      const all = this.take(total);
      const key = masked ? all.subarray(keyAt, keyAt + 4) : null;
      const body = all.subarray(at, total);
      frames.push({
        fin: (b0 & 0x80) !== 0,
        rsv1: (b0 & 0x40) !== 0,
        rsv2: (b0 & 0x20) !== 0,
        rsv3: (b0 & 0x10) !== 0,
        opcode: b0 & 0x0f,
        masked,
        payload: key ? applyMask(body, key) : Buffer.from(body),
        minimalLength,
      });
    }
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    // Gather only the few chunks the header needs, so byte-by-byte input stays linear.
    const parts: Buffer[] = [];
    let have = 0;
    for (const chunk of this.chunks) {
      parts.push(chunk);
      have += chunk.length;
      if (have >= n) break;
    }
    return Buffer.concat(parts, have).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }
}

/** Split `data` into pieces of the given sizes, cycling through them (a write pattern). */
export function splitBytes(data: Uint8Array, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  const buf = bytesOf(data);
  let at = 0;
  let i = 0;
  while (at < buf.length) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    out.push(buf.subarray(at, at + size));
    at += size;
    i++;
  }
  return out;
}
