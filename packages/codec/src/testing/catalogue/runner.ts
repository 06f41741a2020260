/**
 * Runs catalogue cases against a {@link Connection} of either role and
 * reports what it did in the same shape as the expectations.
 *
 * @module
 */
import { Connection, type Role } from '../../protocol/connection.js';
import type { ConnectionEvent } from '../../protocol/events.js';
import { fromHex, payloadBytes, toHex } from './build.js';
import type { CatalogueCase, CatalogueFrame, ExpectedEvent, ExpectedFrame } from './types.js';
import { checkWireSequence, parseWireFrames } from './wire-parser.js';

/** How the runner cuts the script's bytes before `receive`. */
export type Chunking = 'per-step' | 'byte-by-byte' | 'whole';

/** An event or frame in comparable form: payloads as hex. */
export type NormalizedEvent =
  | { type: 'text'; text: string }
  | { type: 'binary' | 'ping' | 'pong' | 'message-data'; hex: string }
  | { type: 'message-start'; binary: boolean }
  | { type: 'message-end' }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; closeCode: number }
  | { type: 'closed'; code: number; wasClean: boolean };

/** A sent frame in comparable form. */
export interface NormalizedFrame {
  opcode: number;
  hex: string;
}

/** What a connection did for a case. */
export interface CatalogueOutcome {
  events: NormalizedEvent[];
  sent: NormalizedFrame[];
}

/** The RFC 6455 §5.3 example masking key; fixed so scripts are reproducible. */
const MASK_KEY = fromHex('37fa213d');

/** Encodes a peer frame as the connection of `role` receives it (masked towards a server). */
export function encodeCatalogueFrame(f: CatalogueFrame, role: Role): Uint8Array {
  const payload = payloadBytes(f.payload);
  const masked = (role === 'server') !== (f.invertMask === true);
  const n = payload.length;
  const lengthBytes = f.lengthTopBit === true ? 8 : n <= 125 ? 0 : n <= 0xffff ? 2 : 8;
  const header = 2 + lengthBytes + (masked ? 4 : 0);
  const out = new Uint8Array(header + n);
  out[0] =
    (f.fin === false ? 0 : 0x80) | (f.rsv1 === true ? 0x40 : 0) | (f.rsv2 === true ? 0x20 : 0) | (f.rsv3 === true ? 0x10 : 0) | f.opcode;
  out[1] = (masked ? 0x80 : 0) | (lengthBytes === 0 ? n : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) {
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else if (lengthBytes === 8) {
    const view = new DataView(out.buffer);
    view.setUint32(2, Math.floor(n / 0x1_0000_0000) + (f.lengthTopBit === true ? 0x8000_0000 : 0));
    view.setUint32(6, n >>> 0);
  }
  if (masked) out.set(MASK_KEY, 2 + lengthBytes);
  for (let i = 0; i < n; i++) out[header + i] = payload[i]! ^ (masked ? MASK_KEY[i & 3]! : 0);
  return out;
}

/** Normalises a connection event for comparison. */
export function normalizeEvent(e: ConnectionEvent): NormalizedEvent {
  switch (e.type) {
    case 'text':
      return { type: 'text', text: e.data };
    case 'binary':
    case 'ping':
    case 'pong':
      return { type: e.type, hex: toHex(e.data) };
    case 'close':
      return { type: 'close', code: e.code, reason: e.reason };
    case 'error':
      return { type: 'error', closeCode: e.error.closeCode };
    case 'closed':
      return { type: 'closed', code: e.code, wasClean: e.wasClean };
    case 'message-start':
      return { type: 'message-start', binary: e.binary };
    case 'message-data':
      return { type: 'message-data', hex: toHex(e.data) };
    case 'message-end':
      return { type: 'message-end' };
  }
}

/** A case's expectations in the normalised form of {@link CatalogueOutcome}. */
export function expectedOutcome(c: CatalogueCase): CatalogueOutcome {
  return {
    events: c.expect.events.map((e: ExpectedEvent): NormalizedEvent => {
      if ('payload' in e) return { type: e.type, hex: toHex(payloadBytes(e.payload)) };
      return { ...e };
    }),
    sent: c.expect.sent.map((f: ExpectedFrame) => ({ opcode: f.opcode, hex: toHex(payloadBytes(f.payload)) })),
  };
}

/**
 * Parses the bytes a connection of `role` wrote with the independent
 * {@link parseWireFrames}, never the codec's own decoder, so an encoder bug
 * the decoder shares cannot pass. Checks masking in the direction of `role`,
 * that no RSV bit is set (the catalogue negotiates no extension) and the
 * order of the frames (RFC 6455 §5.4, §5.5.1).
 */
export function decodeSentFrames(chunks: readonly Uint8Array[], role: Role): NormalizedFrame[] {
  let frames;
  try {
    frames = parseWireFrames(chunks, { sender: role });
    checkWireSequence(frames);
  } catch (error) {
    throw new Error(`connection wrote an invalid frame: ${(error as Error).message}`, { cause: error });
  }
  return frames.map((f) => ({ opcode: f.opcode, hex: toHex(f.payload) }));
}

/** Runs one case against a fresh connection of `role`, with the given chunking, then ends the transport. */
export function runCatalogueCase(c: CatalogueCase, role: Role, chunking: Chunking = 'per-step'): CatalogueOutcome {
  const connection = new Connection({ role, now: () => 0, random: (b) => b.fill(0x5a), ...c.options });
  const events: NormalizedEvent[] = [];
  const output: Uint8Array[] = [];
  const drain = (): void => {
    for (let e = connection.readEvent(); e !== undefined; e = connection.readEvent()) events.push(normalizeEvent(e));
    output.push(...connection.takeOutput());
  };
  const feed = (bytes: Uint8Array): void => {
    if (chunking === 'byte-by-byte') for (let i = 0; i < bytes.length; i++) connection.receive(bytes.slice(i, i + 1));
    else connection.receive(bytes);
    drain();
  };
  let pending: Uint8Array[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const total = pending.reduce((n, b) => n + b.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const b of pending) {
      joined.set(b, at);
      at += b.length;
    }
    pending = [];
    feed(joined);
  };
  for (const step of c.script) {
    if (step.kind === 'local-close') {
      flush();
      connection.close(step.code, step.reason);
      drain();
      continue;
    }
    const bytes = encodeCatalogueFrame(step.frame, role);
    const part = step.kind === 'partial' ? bytes.subarray(0, step.bytes) : bytes;
    if (chunking === 'whole') pending.push(part);
    else feed(part.slice());
  }
  flush();
  connection.receiveEof();
  drain();
  return { events, sent: decodeSentFrames(output, role) };
}
