// Shared helpers for the connection tests: encode frames as a peer would and
// parse what a connection wrote with the independent wire parser (never the
// codec's own frame decoder, which could share a bug with the encoder).
import { Connection, type ConnectionOptions, type Role } from '../src/protocol/connection.js';
import type { ConnectionEvent } from '../src/protocol/events.js';
import { encodeFrameToBuffer, type EncodeFrameOptions } from '../src/protocol/frame.js';
import type { MessageExtension } from '../src/protocol/extension.js';
import { parseWireFrames } from '../src/testing/catalogue/wire-parser.js';

export const enc = new TextEncoder();

/** A frame as the peer of a connection with `role` sends it (masked towards a server). */
export function peerFrame(role: Role, opts: Omit<EncodeFrameOptions, 'mask' | 'payload'> & { payload?: Uint8Array | string }): Uint8Array {
  const payload = typeof opts.payload === 'string' ? enc.encode(opts.payload) : (opts.payload ?? new Uint8Array(0));
  return encodeFrameToBuffer({ ...opts, payload, mask: role === 'server' });
}

export interface SentFrame {
  opcode: number;
  fin: boolean;
  rsv1: boolean;
  masked: boolean;
  payload: Uint8Array;
}

/**
 * Parses bytes written by a connection with `role`, checking each frame
 * against RFC 6455 §5.2 (masking in the direction of `role`; RSV1 allowed,
 * for the extension tests). Throws a `WireError` on the first bad frame.
 */
export function decodeOutput(chunks: readonly Uint8Array[], role: Role): SentFrame[] {
  return parseWireFrames(chunks, { sender: role, rsv1: true }).map((f) => ({
    opcode: f.opcode,
    fin: f.fin,
    rsv1: f.rsv1,
    masked: f.masked,
    payload: f.payload,
  }));
}

/** All ready events. */
export function drainEvents(c: Connection): ConnectionEvent[] {
  const out: ConnectionEvent[] = [];
  for (let e = c.readEvent(); e !== undefined; e = c.readEvent()) out.push(e);
  return out;
}

/** A controllable clock. */
export function manualNow(start = 0): { now: () => number; set: (t: number) => void; advance: (ms: number) => number } {
  let t = start;
  return { now: () => t, set: (v) => void (t = v), advance: (ms) => (t += ms) };
}

export function makeConnection(role: Role, options: Partial<ConnectionOptions> = {}): Connection {
  return new Connection({ role, now: () => 0, ...options });
}

/** Tiny seeded PRNG (mulberry32) for delays and chunking inside tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A fake async extension: "compresses" by reversing the bytes, settling after
 * a random microtask or macrotask delay, so ordering bugs show up.
 */
export function reversingExtension(
  random: () => number,
  opts: { minSize?: number; microtasksOnly?: boolean } = {},
): MessageExtension & { disposed: number; inFlight: number; maxInFlight: number } {
  const delay = <T>(value: () => T): Promise<T> => {
    const r = random();
    return r < 0.3 || opts.microtasksOnly === true
      ? Promise.resolve().then(value)
      : new Promise<T>((resolve, reject) => setTimeout(() => { try { resolve(value()); } catch (e) { reject(e as Error); } }, Math.floor(r * 3)));
  };
  const ext = {
    name: 'x-reverse',
    disposed: 0,
    inFlight: 0,
    maxInFlight: 0,
    decode(fragments: readonly Uint8Array[], maxSize: number): Promise<Uint8Array> {
      ext.inFlight++;
      ext.maxInFlight = Math.max(ext.maxInFlight, ext.inFlight);
      const total = fragments.reduce((n, f) => n + f.length, 0);
      const joined = new Uint8Array(total);
      let at = 0;
      for (const f of fragments) { joined.set(f, at); at += f.length; }
      return delay(() => {
        ext.inFlight--;
        if (joined.length > maxSize) throw new Error('too big');
        return joined.reverse();
      });
    },
    encode(payload: Uint8Array): Promise<Uint8Array> | undefined {
      if (payload.length < (opts.minSize ?? 0)) return undefined;
      const copy = payload.slice();
      return delay(() => copy.reverse());
    },
    dispose(): void {
      ext.disposed++;
    },
  };
  return ext;
}
