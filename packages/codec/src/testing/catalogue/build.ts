/**
 * Small builders that keep the catalogue's case tables readable.
 *
 * @module
 */
import type {
  CatalogueArea,
  CatalogueCase,
  CatalogueFrame,
  CatalogueOptions,
  CatalogueStep,
  ExpectedEvent,
  ExpectedFrame,
  PayloadSpec,
} from './types.js';

const encoder = new TextEncoder();

/** Hex digits of `bytes`, lower case. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/** Bytes from hex digits (whitespace ignored). */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The bytes a {@link PayloadSpec} stands for. */
export function payloadBytes(spec: PayloadSpec | undefined): Uint8Array {
  if (spec === undefined) return new Uint8Array(0);
  if ('hex' in spec) return fromHex(spec.hex);
  if ('text' in spec) return encoder.encode(spec.text);
  return new Uint8Array(spec.length).fill(spec.fill);
}

/** Payload as hex digits. */
export const hex = (digits: string): PayloadSpec => ({ hex: digits.replace(/\s+/g, '').toLowerCase() });
/** Payload as UTF-8 text. */
export const txt = (text: string): PayloadSpec => ({ text });
/** `length` copies of `byte`. */
export const fill = (byte: number, length: number): PayloadSpec => ({ fill: byte, length });

/** The body of a close frame: big-endian code then UTF-8 reason; empty without a code. */
export function closeBody(code?: number, reason = ''): PayloadSpec {
  if (code === undefined) return hex('');
  const r = encoder.encode(reason);
  return hex(code.toString(16).padStart(4, '0') + toHex(r));
}

/** A frame step. */
export function frame(opcode: number, payload?: PayloadSpec, opts: Omit<CatalogueFrame, 'opcode' | 'payload'> = {}): CatalogueStep {
  return { kind: 'frame', frame: payload === undefined ? { opcode, ...opts } : { opcode, payload, ...opts } };
}
/** A text frame step. */
export const textFrame = (text: string, opts: Omit<CatalogueFrame, 'opcode' | 'payload'> = {}): CatalogueStep =>
  frame(0x1, txt(text), opts);
/** A close frame step. */
export const closeFrame = (code?: number, reason?: string): CatalogueStep => frame(0x8, closeBody(code, reason));
/** The application closes. */
export const localClose = (code?: number, reason?: string): CatalogueStep => ({
  kind: 'local-close',
  ...(code === undefined ? {} : { code }),
  ...(reason === undefined ? {} : { reason }),
});

/** Expected events. */
export const ev = {
  text: (text: string): ExpectedEvent => ({ type: 'text', text }),
  binary: (payload: PayloadSpec): ExpectedEvent => ({ type: 'binary', payload }),
  ping: (payload: PayloadSpec = hex('')): ExpectedEvent => ({ type: 'ping', payload }),
  pong: (payload: PayloadSpec = hex('')): ExpectedEvent => ({ type: 'pong', payload }),
  close: (code: number, reason = ''): ExpectedEvent => ({ type: 'close', code, reason }),
  error: (closeCode: number): ExpectedEvent => ({ type: 'error', closeCode }),
  closed: (code: number, wasClean: boolean): ExpectedEvent => ({ type: 'closed', code, wasClean }),
};

/** Expected frames sent back. */
export const sent = {
  pong: (payload: PayloadSpec = hex('')): ExpectedFrame => ({ opcode: 0xa, payload }),
  close: (code?: number, reason?: string): ExpectedFrame => ({ opcode: 0x8, payload: closeBody(code, reason) }),
};

/** Outcome: the connection is still open when the transport ends abruptly (1006). */
export function stillOpen(events: ExpectedEvent[] = [], frames: ExpectedFrame[] = []): CatalogueCase['expect'] {
  return { events: [...events, ev.closed(1006, false)], sent: frames };
}

/** Outcome: a protocol failure with `code` after `events`; our close carries the code. */
export function failsWith(code: number, events: ExpectedEvent[] = [], frames: ExpectedFrame[] = []): CatalogueCase['expect'] {
  return { events: [...events, ev.error(code), ev.closed(code, false)], sent: [...frames, sent.close(code)] };
}

/** Outcome: the peer closes with `code` (undefined: no code, 1005), we echo, the close is clean. */
export function peerCloses(
  code: number | undefined,
  reason = '',
  events: ExpectedEvent[] = [],
  frames: ExpectedFrame[] = [],
): CatalogueCase['expect'] {
  const reported = code ?? 1005;
  return {
    events: [...events, ev.close(reported, reason), ev.closed(reported, true)],
    sent: [...frames, sent.close(code)],
  };
}

/** Collects the cases of one area with sequential ids. */
export class AreaBuilder {
  readonly cases: CatalogueCase[] = [];
  constructor(readonly area: CatalogueArea) {}

  add(
    rfc: string,
    title: string,
    script: CatalogueStep[],
    expect: CatalogueCase['expect'],
    options?: CatalogueOptions,
  ): void {
    const id = `${this.area}.${this.cases.length + 1}`;
    this.cases.push(options === undefined ? { id, area: this.area, rfc, title, script, expect } : { id, area: this.area, rfc, title, options, script, expect });
  }
}
