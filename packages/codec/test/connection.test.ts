import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import { ProtocolError, UsageError } from '../src/protocol/errors.js';
import type { MessageExtension } from '../src/protocol/extension.js';
import { Opcode } from '../src/protocol/opcode.js';
import { decodeOutput, drainEvents, enc, makeConnection, peerFrame, prng, reversingExtension } from './connection-helpers.js';

describe('Connection: receiving', () => {
  it('delivers a whole binary frame zero-copy (a view of the received chunk)', () => {
    const c = makeConnection('client');
    const chunk = peerFrame('client', { opcode: Opcode.Binary, payload: new Uint8Array([1, 2, 3]) });
    c.receive(chunk);
    const e = c.readEvent();
    expect(e).toMatchObject({ type: 'binary' });
    const data = (e as { data: Uint8Array }).data;
    expect(Array.from(data)).toEqual([1, 2, 3]);
    expect(data.buffer).toBe(chunk.buffer);
    expect(Object.isFrozen(e)).toBe(true);
  });

  it('unmasks frames sent to a server', () => {
    const c = makeConnection('server');
    c.receive(peerFrame('server', { opcode: Opcode.Text, payload: 'héllo' }));
    expect(drainEvents(c)).toEqual([{ type: 'text', data: 'héllo' }]);
  });

  it('gives the same events in any chunking, including a large frame streamed in pieces', () => {
    const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const bytes = [
      peerFrame('server', { opcode: Opcode.Text, payload: 'Hel', fin: false }),
      peerFrame('server', { opcode: Opcode.Ping, payload: 'p' }),
      peerFrame('server', { opcode: Opcode.Continuation, payload: 'lo 😀' }),
      peerFrame('server', { opcode: Opcode.Binary, payload: big }),
    ];
    const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bytes) { all.set(b, at); at += b.length; }
    const random = prng(7);
    for (let round = 0; round < 20; round++) {
      const c = makeConnection('server');
      const events = [];
      for (let i = 0; i < all.length; ) {
        const n = 1 + Math.floor(random() * (round % 2 === 0 ? 7 : 20000));
        c.receive(all.slice(i, i + n));
        events.push(...drainEvents(c));
        i += n;
      }
      expect(events.map((e) => e.type)).toEqual(['ping', 'text', 'binary']);
      expect(events[1]).toEqual({ type: 'text', data: 'Hello 😀' });
      expect((events[2] as { data: Uint8Array }).data).toEqual(big);
    }
  });

  it('fails with 1007 on the first invalid byte of a streamed text frame, before the rest arrives', () => {
    const c = makeConnection('client');
    const payload = new Uint8Array(1000).fill(0x41);
    payload[10] = 0xff;
    const frame = peerFrame('client', { opcode: Opcode.Text, payload });
    c.receive(frame.slice(0, 4 + 20)); // header (4 bytes: 16-bit length) + 20 payload bytes
    const events = drainEvents(c);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', error: { code: 'FW_ERR_INVALID_UTF8', closeCode: 1007 } });
    expect(decodeOutput(c.takeOutput(), 'client').map((f) => [f.opcode, Array.from(f.payload)])).toEqual([[8, [0x03, 0xef]]]);
    // The rest is discarded.
    c.receive(frame.slice(24));
    expect(drainEvents(c)).toEqual([]);
  });

  it('passes a 4 MiB message sent as 65,536 fragments of 64 bytes', () => {
    const c = makeConnection('client', { maxMessageSize: 4 * 1024 * 1024 });
    const piece = new Uint8Array(64).fill(9);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 65536; i++) {
      frames.push(peerFrame('client', { opcode: i === 0 ? Opcode.Binary : Opcode.Continuation, fin: i === 65535, payload: piece }));
    }
    // Feed in 1 MiB-ish chunks.
    const chunk: Uint8Array[] = [];
    for (let i = 0; i < frames.length; i += 4096) {
      const group = frames.slice(i, i + 4096);
      const buf = new Uint8Array(group.reduce((n, f) => n + f.length, 0));
      let at = 0;
      for (const f of group) { buf.set(f, at); at += f.length; }
      chunk.push(buf);
    }
    for (const b of chunk) c.receive(b);
    const events = drainEvents(c);
    expect(events).toHaveLength(1);
    const data = (events[0] as { data: Uint8Array }).data;
    expect(data.length).toBe(4 * 1024 * 1024);
    expect(data.every((b) => b === 9)).toBe(true);
  });

  it('does not let a flood of empty fragments fail or count against the limit', () => {
    const c = makeConnection('client', { maxMessageSize: 10 });
    c.receive(peerFrame('client', { opcode: Opcode.Text, fin: false, payload: 'a' }));
    const empty = peerFrame('client', { opcode: Opcode.Continuation, fin: false, payload: new Uint8Array(0) });
    const flood = new Uint8Array(empty.length * 50_000);
    for (let i = 0; i < 50_000; i++) flood.set(empty, i * empty.length);
    c.receive(flood);
    c.receive(peerFrame('client', { opcode: Opcode.Continuation, payload: 'b' }));
    expect(drainEvents(c)).toEqual([{ type: 'text', data: 'ab' }]);
  });

  it('uses the injected UTF-8 validator for fragmented text', () => {
    let updates = 0;
    const c = makeConnection('client', {
      utf8: () => ({ update: () => (updates++, true), finish: () => true }),
    });
    c.receive(peerFrame('client', { opcode: Opcode.Text, fin: false, payload: 'a' }));
    c.receive(peerFrame('client', { opcode: Opcode.Continuation, payload: 'b' }));
    expect(drainEvents(c)).toEqual([{ type: 'text', data: 'ab' }]);
    expect(updates).toBe(2);
  });

  it('answers pings automatically, or not with autoPong: false', () => {
    const on = makeConnection('server');
    on.receive(peerFrame('server', { opcode: Opcode.Ping, payload: 'x' }));
    expect(drainEvents(on).map((e) => e.type)).toEqual(['ping']);
    expect(decodeOutput(on.takeOutput(), 'server').map((f) => [f.opcode, f.masked])).toEqual([[Opcode.Pong, false]]);
    const off = makeConnection('server', { autoPong: false });
    off.receive(peerFrame('server', { opcode: Opcode.Ping, payload: 'x' }));
    expect(off.takeOutput()).toEqual([]);
    expect(drainEvents(off).map((e) => e.type)).toEqual(['ping']);
  });

  it('never throws on garbage input', () => {
    const random = prng(1);
    for (let i = 0; i < 200; i++) {
      const c = makeConnection(i % 2 === 0 ? 'server' : 'client');
      const bytes = new Uint8Array(64).map(() => Math.floor(random() * 256));
      expect(() => c.receive(bytes)).not.toThrow();
      expect(() => c.receiveEof()).not.toThrow();
      const events = drainEvents(c);
      expect(events.at(-1)?.type).toBe('closed');
    }
  });
});

describe('Connection: sending', () => {
  it('masks client frames and not server frames', () => {
    const client = makeConnection('client');
    client.sendText('hi');
    const server = makeConnection('server');
    server.sendText('hi');
    expect(decodeOutput(client.takeOutput(), 'client')[0]).toMatchObject({ opcode: 1, masked: true });
    expect(decodeOutput(server.takeOutput(), 'server')[0]).toMatchObject({ opcode: 1, masked: false });
  });

  it('writes small frames as one buffer, large ones as header + payload (zero-copy when unmasked)', () => {
    const s = makeConnection('server');
    s.sendBinary(new Uint8Array(100));
    expect(s.takeOutput()).toHaveLength(1);
    const big = new Uint8Array(100_000);
    s.sendBinary(big);
    const out = s.takeOutput();
    expect(out).toHaveLength(2);
    expect(out[1]).toBe(big);
  });

  it('streams fragments: first frame with the opcode, then continuations', () => {
    const s = makeConnection('server');
    s.sendText('a', false);
    s.ping('p');
    s.sendText('b', false);
    s.sendText('c');
    s.sendBinary(new Uint8Array([1]));
    expect(decodeOutput(s.takeOutput(), 'server').map((f) => [f.opcode, f.fin])).toEqual([
      [1, false], [9, true], [0, false], [0, true], [2, true],
    ]);
  });

  it('refuses a binary fragment while a text message is in progress', () => {
    const s = makeConnection('server');
    s.sendText('a', false);
    expect(() => s.sendBinary(new Uint8Array(1))).toThrow(UsageError);
  });

  it('refuses control payloads over 125 bytes', () => {
    const s = makeConnection('server');
    expect(() => s.ping(new Uint8Array(126))).toThrow(expect.objectContaining({ code: 'FW_ERR_CONTROL_PAYLOAD_TOO_LONG' }));
    expect(() => s.pong('x'.repeat(126))).toThrow(UsageError);
    s.ping(new Uint8Array(125));
  });

  it('counts bufferedAmount until output is taken', () => {
    const s = makeConnection('server');
    expect(s.bufferedAmount).toBe(0);
    s.sendBinary(new Uint8Array(10));
    expect(s.bufferedAmount).toBe(12);
    s.takeOutput();
    expect(s.bufferedAmount).toBe(0);
  });

  it('validates options', () => {
    expect(() => new Connection({ role: 'peer' as 'client', now: () => 0 })).toThrow(UsageError);
    expect(() => new Connection({ role: 'client', now: () => 0, maxMessageSize: -1 })).toThrow(UsageError);
  });
});

describe('Connection: extensions', () => {
  const rsvFrame = (payload: Uint8Array, opts: { opcode?: number; fin?: boolean; rsv1?: boolean } = {}): Uint8Array =>
    peerFrame('server', { opcode: opts.opcode ?? Opcode.Binary, fin: opts.fin ?? true, rsv1: opts.rsv1 ?? true, payload });

  async function settle(c: Connection): Promise<void> {
    for (let p = c.pending(); p !== undefined; p = c.pending()) await p;
  }

  it('keeps events in order around async decodes, and calls decode one at a time', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const ext = reversingExtension(prng(seed));
      const c = makeConnection('server', { extension: ext });
      const expected: string[] = [];
      const random = prng(seed * 31);
      for (let i = 0; i < 30; i++) {
        const r = random();
        const text = `m${i}`;
        if (r < 0.4) {
          c.receive(rsvFrame(enc.encode(text).reverse(), { opcode: Opcode.Text }));
          expected.push(`text:${text}`);
        } else if (r < 0.6) {
          c.receive(rsvFrame(enc.encode(text).reverse(), { opcode: Opcode.Text, fin: false }));
          c.receive(peerFrame('server', { opcode: Opcode.Ping, payload: `p${i}` }));
          c.receive(rsvFrame(new Uint8Array(0), { opcode: Opcode.Continuation, rsv1: false }));
          expected.push(`ping:p${i}`, `text:${text}`);
        } else if (r < 0.8) {
          c.receive(peerFrame('server', { opcode: Opcode.Text, payload: text }));
          expected.push(`text:${text}`);
        } else {
          c.receive(peerFrame('server', { opcode: Opcode.Ping, payload: `p${i}` }));
          expected.push(`ping:p${i}`);
        }
      }
      const seen: string[] = [];
      const take = (): void => {
        for (let e = c.readEvent(); e !== undefined; e = c.readEvent()) {
          if (e.type === 'text') seen.push(`text:${e.data}`);
          else if (e.type === 'ping') seen.push(`ping:${new TextDecoder().decode(e.data)}`);
          else seen.push(e.type);
        }
      };
      take();
      while (c.pending() !== undefined) {
        await c.pending();
        take();
      }
      take();
      expect(seen).toEqual(expected);
      expect(ext.maxInFlight).toBe(1);
    }
  });

  it('keeps outgoing data in order, lets pings overtake, and sends close after queued data', async () => {
    const ext = reversingExtension(prng(3), { minSize: 3 });
    const s = makeConnection('server', { extension: ext });
    s.sendText('first'); // async encode
    s.sendText('ab'); // below threshold: uncompressed, but must wait behind "first"
    s.ping('p'); // may overtake
    s.sendBinary(new Uint8Array([1, 2, 3, 4]));
    s.close(1000);
    expect(() => s.sendText('late')).toThrow(expect.objectContaining({ code: 'FW_ERR_CLOSED' }));
    expect(s.bufferedAmount).toBeGreaterThan(0);
    const out: Uint8Array[] = [...s.takeOutput()];
    await settle(s);
    out.push(...s.takeOutput());
    const frames = decodeOutput(out, 'server');
    expect(frames.map((f) => [f.opcode, f.rsv1, Array.from(f.payload)])).toEqual([
      [9, false, Array.from(enc.encode('p'))],
      [1, true, Array.from(enc.encode('tsrif'))],
      [1, false, Array.from(enc.encode('ab'))],
      [2, true, [4, 3, 2, 1]],
      [8, false, [0x03, 0xe8]],
    ]);
    expect(s.bufferedAmount).toBe(0);
  });

  it('as a server, asks to end the transport only once the echoed close is written behind pending data', async () => {
    const ext = reversingExtension(prng(9));
    const s = makeConnection('server', { extension: ext });
    s.sendText('pending message');
    s.receive(peerFrame('server', { opcode: Opcode.Close, payload: new Uint8Array([0x03, 0xe8]) }));
    expect(drainEvents(s).map((e) => e.type)).toEqual(['close']);
    expect(s.closeTransport).toBe(false);
    await settle(s);
    expect(s.closeTransport).toBe(true);
    expect(decodeOutput(s.takeOutput(), 'server').map((f) => f.opcode)).toEqual([Opcode.Text, Opcode.Close]);
  });

  it('rejects RSV1 on a continuation frame and on control frames (1002)', () => {
    const ext = reversingExtension(prng(1));
    const a = makeConnection('server', { extension: ext });
    a.receive(rsvFrame(new Uint8Array([1]), { fin: false }));
    a.receive(rsvFrame(new Uint8Array([2]), { opcode: Opcode.Continuation }));
    expect(drainEvents(a)).toMatchObject([{ type: 'error', error: { closeCode: 1002 } }]);
    const b = makeConnection('server', { extension: ext });
    b.receive(rsvFrame(new Uint8Array([1]), { opcode: Opcode.Ping }));
    expect(drainEvents(b)).toMatchObject([{ type: 'error', error: { closeCode: 1002 } }]);
  });

  it('maps decode failures to close codes: ProtocolError keeps its code, anything else is 1007', async () => {
    const failing = (error: unknown): MessageExtension => ({
      name: 'x', encode: () => undefined, dispose() {},
      decode: () => Promise.reject(error),
    });
    for (const [error, code] of [
      [new ProtocolError('FW_ERR_MESSAGE_TOO_BIG', 1009, 'big'), 1009],
      [new Error('bad data'), 1007],
    ] as const) {
      const c = makeConnection('server', { extension: failing(error) });
      c.receive(rsvFrame(new Uint8Array([1, 2])));
      c.receive(peerFrame('server', { opcode: Opcode.Text, payload: 'after' })); // dropped: after the failure
      expect(c.readEvent()).toBeUndefined();
      await settle(c);
      expect(drainEvents(c)).toMatchObject([{ type: 'error', error: { closeCode: code } }]);
      const frames = decodeOutput(c.takeOutput(), 'server');
      expect(frames.map((f) => [f.opcode, (f.payload[0]! << 8) | f.payload[1]!])).toEqual([[8, code]]);
      expect(c.closeTransport).toBe(true);
    }
  });

  it('delivers a message whose decode was pending when the transport ended, before closed; disposes once', async () => {
    const ext = reversingExtension(prng(5));
    const c = makeConnection('server', { extension: ext });
    c.receive(rsvFrame(new Uint8Array([1, 2, 3])));
    c.receiveEof();
    await settle(c);
    expect(drainEvents(c).map((e) => e.type)).toEqual(['binary', 'closed']);
    expect(ext.disposed).toBe(1);
  });

  it('bounds compressed bytes by maxMessageSize (1009)', () => {
    const ext = reversingExtension(prng(1));
    const c = makeConnection('server', { extension: ext, maxMessageSize: 10 });
    c.receive(rsvFrame(new Uint8Array(6), { fin: false }));
    c.receive(rsvFrame(new Uint8Array(6), { opcode: Opcode.Continuation, rsv1: false }));
    expect(drainEvents(c)).toMatchObject([{ type: 'error', error: { closeCode: 1009 } }]);
  });
});

describe('Connection: lazy parsing keeps replies in order', () => {
  it("sends the application's answer to a message before failing on the frame after it", () => {
    const s = makeConnection('server');
    const bytes = [peerFrame('server', { opcode: Opcode.Text, payload: 'hi' }), peerFrame('server', { opcode: 0x3 })];
    s.receive(new Uint8Array([...bytes[0]!, ...bytes[1]!]));
    const first = s.readEvent();
    expect(first).toEqual({ type: 'text', data: 'hi' });
    s.sendText('hi'); // the echo is still allowed: the bad frame is not parsed yet
    expect(s.readEvent()).toMatchObject({ type: 'error', error: { closeCode: 1002 } });
    expect(decodeOutput(s.takeOutput(), 'server').map((f) => f.opcode)).toEqual([Opcode.Text, Opcode.Close]);
  });

  it('answers a ping that follows a message after the echo of that message', () => {
    const s = makeConnection('server');
    s.receive(peerFrame('server', { opcode: Opcode.Text, payload: 'a' }));
    s.receive(peerFrame('server', { opcode: Opcode.Ping, payload: 'p' }));
    expect(s.readEvent()).toEqual({ type: 'text', data: 'a' });
    s.sendText('a');
    expect(s.readEvent()).toMatchObject({ type: 'ping' });
    expect(decodeOutput(s.takeOutput(), 'server').map((f) => f.opcode)).toEqual([Opcode.Text, Opcode.Pong]);
  });
});
