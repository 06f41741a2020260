// permessage-deflate (RFC 7692) on the kit's side: parsing the negotiated
// parameters and building/reading compressed payloads with node:zlib.
// Context takeover is modelled with a preset dictionary (the last window of
// earlier messages), which is what a sliding window holds, so each call stays synchronous.
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';

/** The negotiated parameters (RFC 7692 §7.1). Bits are null when absent. */
export interface DeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number | null;
  /** true: offered without a value (client side only). */
  readonly clientMaxWindowBits: number | true | null;
}

/** Parse one extension element such as `permessage-deflate; server_max_window_bits=10`. Returns a reason string on a malformed element. */
export function parseDeflateElement(element: string): DeflateParams | string {
  const [name, ...rest] = element.split(';').map((s) => s.trim());
  if (name?.toLowerCase() !== 'permessage-deflate') return `not permessage-deflate: ${name ?? ''}`;
  let snct = false;
  let cnct = false;
  let smwb: number | null = null;
  let cmwb: number | true | null = null;
  const seen = new Set<string>();
  for (const param of rest) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    const key = (eq === -1 ? param : param.slice(0, eq)).trim().toLowerCase();
    let value = eq === -1 ? null : param.slice(eq + 1).trim();
    if (value !== null && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (seen.has(key)) return `parameter ${key} given twice (RFC 7692 §7)`;
    seen.add(key);
    const bits = value === null ? null : /^\d+$/.test(value) ? Number(value) : NaN;
    switch (key) {
      case 'server_no_context_takeover':
        if (value !== null) return `${key} takes no value`;
        snct = true;
        break;
      case 'client_no_context_takeover':
        if (value !== null) return `${key} takes no value`;
        cnct = true;
        break;
      case 'server_max_window_bits':
        if (bits === null || !(bits >= 8 && bits <= 15)) return `${key} must be 8..15`;
        smwb = bits;
        break;
      case 'client_max_window_bits':
        if (bits === null) cmwb = true;
        else if (!(bits >= 8 && bits <= 15)) return `${key} must be 8..15`;
        else cmwb = bits;
        break;
      default:
        return `unknown parameter ${key}`;
    }
  }
  return { serverNoContextTakeover: snct, clientNoContextTakeover: cnct, serverMaxWindowBits: smwb, clientMaxWindowBits: cmwb };
}

/** Render parameters as an extension element. */
export function formatDeflate(p: Partial<DeflateParams>): string {
  let s = 'permessage-deflate';
  if (p.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (p.clientNoContextTakeover) s += '; client_no_context_takeover';
  if (typeof p.serverMaxWindowBits === 'number') s += `; server_max_window_bits=${p.serverMaxWindowBits}`;
  if (p.clientMaxWindowBits === true) s += '; client_max_window_bits';
  else if (typeof p.clientMaxWindowBits === 'number') s += `; client_max_window_bits=${p.clientMaxWindowBits}`;
  return s;
}

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Compresses messages for one direction, with or without context takeover. */
export class MessageDeflater {
  private window: Buffer = Buffer.alloc(0);

  /** @param windowBits the sender's window; 8 is raised to 9 because zlib's raw deflate cannot do 8 (kept safe by resetting the context). */
  constructor(private readonly windowBits: number, private readonly takeover: boolean) {}

  /** Compressed payload of one message (RFC 7692 §7.2.1: sync flush, tail removed). */
  compress(data: Uint8Array): Buffer {
    const bits = Math.max(9, this.windowBits);
    const useDict = this.takeover && this.window.length > 0 && this.windowBits > 8;
    const out = deflateRawSync(data, {
      windowBits: bits,
      finishFlush: constants.Z_SYNC_FLUSH,
      ...(useDict ? { dictionary: this.window } : {}),
    });
    this.remember(data);
    return out.subarray(-4).equals(TAIL) ? out.subarray(0, -4) : out;
  }

  private remember(data: Uint8Array): void {
    const size = 1 << Math.max(9, this.windowBits);
    this.window = Buffer.concat([this.window, data]);
    if (this.window.length > size) this.window = this.window.subarray(this.window.length - size);
  }
}

/** Decompresses the peer's messages; with takeover off it proves the peer did not reference earlier messages. */
export class MessageInflater {
  private window: Buffer = Buffer.alloc(0);

  constructor(private readonly takeover: boolean) {}

  /** Inflate one whole message payload (RFC 7692 §7.2.2); throws on bad data or when the output exceeds `limit`. */
  decompress(data: Uint8Array, limit: number): Buffer {
    const out = inflateRawSync(Buffer.concat([data, TAIL]), {
      windowBits: 15,
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: limit,
      ...(this.takeover && this.window.length > 0 ? { dictionary: this.window } : {}),
    });
    if (this.takeover) {
      this.window = Buffer.concat([this.window, out]);
      if (this.window.length > 32768) this.window = this.window.subarray(this.window.length - 32768);
    }
    return out;
  }
}
