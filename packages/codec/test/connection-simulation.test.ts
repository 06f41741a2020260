// Simulation: a client and a server Connection joined by a pipe that
// re-chunks and delays bytes at random (never loses them).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Connection, type Role } from '../src/protocol/connection.js';
import type { ConnectionEvent } from '../src/protocol/events.js';
import { prng, reversingExtension } from './connection-helpers.js';

const RUNS = Number(process.env.FW_SIM_RUNS ?? 300);
const SEED = 0x51a;

/** One direction of the pipe: bytes in order, delivered in random pieces. */
class Pipe {
  chunks: Uint8Array[] = [];
  get size(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }
  write(chunks: Uint8Array[]): void {
    for (const c of chunks) if (c.length > 0) this.chunks.push(c.slice()); // the writer may reuse its buffers
  }
  /** Takes up to n bytes, joining across chunk boundaries. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.size));
    let at = 0;
    while (at < out.length) {
      const head = this.chunks[0]!;
      const k = Math.min(head.length, out.length - at);
      out.set(head.subarray(0, k), at);
      at += k;
      if (k === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(k);
    }
    return out;
  }
}

type Op =
  | { kind: 'message'; binary: boolean; parts: string[]; pingBetween: boolean }
  | { kind: 'ping'; data: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('message' as const),
    binary: fc.boolean(),
    parts: fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { minLength: 1, maxLength: 4 }),
    pingBetween: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('ping' as const), data: fc.string({ maxLength: 20 }) }),
);

const enc = new TextEncoder();
const dec = new TextDecoder();

/** What one side observed, in order, as strings. */
function describe_(e: ConnectionEvent): string {
  switch (e.type) {
    case 'text':
      return `text:${e.data}`;
    case 'binary':
      return `binary:${dec.decode(e.data)}`;
    case 'ping':
    case 'pong':
      return `${e.type}:${dec.decode(e.data)}`;
    case 'close':
      return `close:${e.code}`;
    case 'error':
      return `error:${e.error.closeCode}`;
    case 'closed':
      return `closed:${e.code}:${e.wasClean}`;
    case 'message-start':
      return `message-start:${e.binary}`;
    case 'message-data':
      return `message-data:${dec.decode(e.data)}`;
    case 'message-end':
      return 'message-end';
  }
}

class Side {
  readonly events: string[] = [];
  opIndex = 0;
  partIndex = 0;
  constructor(
    readonly conn: Connection,
    readonly ops: Op[],
    readonly out: Pipe,
  ) {}
  get done(): boolean {
    return this.opIndex >= this.ops.length;
  }
  /** Performs the next step of its script (one fragment, or a ping). */
  step(): void {
    const op = this.ops[this.opIndex]!;
    if (op.kind === 'ping') {
      this.conn.ping(op.data);
      this.opIndex++;
    } else {
      const last = this.partIndex === op.parts.length - 1;
      const part = op.parts[this.partIndex]!;
      if (op.binary) this.conn.sendBinary(enc.encode(part), last);
      else this.conn.sendText(part, last);
      if (op.pingBetween && !last) this.conn.ping(`between-${this.partIndex}`);
      this.partIndex++;
      if (last) {
        this.partIndex = 0;
        this.opIndex++;
      }
    }
    this.flush();
  }
  flush(): void {
    // Events first: parsing is lazy, so automatic replies appear as events are read.
    for (let e = this.conn.readEvent(); e !== undefined; e = this.conn.readEvent()) this.events.push(describe_(e));
    this.out.write(this.conn.takeOutput());
  }
}

/** What the peer of a side must see from its ops, in order (auto-pong replies aside). */
function expectedFrom(ops: Op[]): string[] {
  const out: string[] = [];
  for (const op of ops) {
    if (op.kind === 'ping') out.push(`ping:${op.data}`);
    else {
      for (let i = 0; i < op.parts.length - 1; i++) if (op.pingBetween) out.push(`ping:between-${i}`);
      out.push(`${op.binary ? 'binary' : 'text'}:${op.parts.join('')}`);
    }
  }
  return out;
}

describe('client and server over a re-chunking, delaying pipe', () => {
  it('deliver every message exactly once, in order, and agree on the close code (property)', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 8 }),
        fc.array(opArb, { maxLength: 8 }),
        fc.constantFrom<Role>('client', 'server'),
        fc.oneof(fc.constant(1000), fc.integer({ min: 3000, max: 4999 })),
        fc.integer(),
        (clientOps, serverOps, closer, code, seed) => {
          const random = prng(seed);
          const c2s = new Pipe();
          const s2c = new Pipe();
          const client = new Side(new Connection({ role: 'client', now: () => 0 }), clientOps, c2s);
          const server = new Side(new Connection({ role: 'server', now: () => 0 }), serverOps, s2c);
          const deliver = (pipe: Pipe, to: Side): void => {
            if (pipe.size === 0) return;
            to.conn.receive(pipe.take(1 + Math.floor(random() * (random() < 0.5 ? 8 : 200))));
            to.flush();
          };
          let closed = false;
          for (let guard = 0; guard < 100_000; guard++) {
            const r = random();
            if (r < 0.2 && !client.done) client.step();
            else if (r < 0.4 && !server.done) server.step();
            else if (r < 0.7) deliver(c2s, server);
            else deliver(s2c, client);
            if (!closed && client.done && server.done) {
              closed = true;
              (closer === 'client' ? client : server).conn.close(code);
              client.flush();
              server.flush();
            }
            if (closed && c2s.size === 0 && s2c.size === 0) break;
          }
          expect(c2s.size + s2c.size).toBe(0);
          // RFC 6455 §7.1.1: the server ends TCP once the handshake is done; both then see EOF.
          expect(server.conn.closeTransport).toBe(true);
          client.conn.receiveEof();
          server.conn.receiveEof();
          client.flush();
          server.flush();

          const strip = (events: string[]): string[] => events.filter((e) => e.startsWith('text:') || e.startsWith('binary:') || e.startsWith('ping:'));
          expect(strip(server.events)).toEqual(expectedFrom(clientOps));
          expect(strip(client.events)).toEqual(expectedFrom(serverOps));
          // Every ping is answered by a pong echoing it, in order.
          const pongs = (events: string[]): string[] => events.filter((e) => e.startsWith('pong:')).map((e) => e.slice(5));
          const pings = (ops: Op[]): string[] => expectedFrom(ops).filter((e) => e.startsWith('ping:')).map((e) => e.slice(5));
          // The closer's pings are all answered; the other side's pings that
          // reach the closer after its close frame are not (RFC 6455 §5.5.1).
          const [closerSide, closerOps, otherSide, otherOps] =
            closer === 'client' ? [client, clientOps, server, serverOps] : [server, serverOps, client, clientOps];
          expect(pongs(closerSide.events)).toEqual(pings(closerOps));
          const answered = pongs(otherSide.events);
          expect(answered).toEqual(pings(otherOps).slice(0, answered.length));
          for (const side of [client, server]) {
            expect(side.events.slice(-2)).toEqual([`close:${code}`, `closed:${code}:true`]);
            expect(side.events.filter((e) => e.startsWith('closed:'))).toHaveLength(1);
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('with a manual clock, heartbeats keep a live pair open and detect a dead peer (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 1000 }),
        fc.integer({ min: 20, max: 500 }),
        fc.constantFrom<Role>('client', 'server'),
        fc.integer(),
        (interval, timeout, dies, seed) => {
          const random = prng(seed);
          let now = 0;
          const heartbeat = { interval, timeout };
          const c2s = new Pipe();
          const s2c = new Pipe();
          const client = new Side(new Connection({ role: 'client', now: () => now, heartbeat }), [], c2s);
          const server = new Side(new Connection({ role: 'server', now: () => now, heartbeat }), [], s2c);
          const tick = (side: Side): void => {
            const due = side.conn.pollTimeout();
            if (due !== undefined && due <= now) side.conn.handleTimeout(now);
            side.flush();
          };
          const pump = (): void => {
            // Both directions fully delivered, in random pieces.
            for (const [pipe, to] of [[c2s, server], [s2c, client]] as const) {
              while (pipe.size > 0) {
                to.conn.receive(pipe.take(1 + Math.floor(random() * 10)));
                to.flush();
              }
            }
          };
          // Phase 1: alive for 10 intervals, time moving in steps shorter than the timeout.
          const step = Math.max(1, Math.floor(Math.min(interval, timeout) / 3));
          while (now < interval * 10) {
            now += 1 + Math.floor(random() * step);
            tick(client);
            tick(server);
            pump();
          }
          for (const side of [client, server]) {
            expect(side.conn.state).toBe('open');
            expect(side.events.filter((e) => e.startsWith('pong:')).length).toBeGreaterThan(0);
          }
          // Phase 2: one side dies (stops reading and writing); the other detects it.
          const dead = dies === 'client' ? client : server;
          const live = dies === 'client' ? server : client;
          const deadline = now + interval + timeout;
          while (live.conn.state !== 'closed' && now <= deadline + 1) {
            now += 1;
            tick(live);
          }
          expect(live.events.at(-1)).toBe('closed:1006:false');
          expect(live.conn.closeTransport).toBe(true);
          expect(now).toBeLessThanOrEqual(deadline);
          expect(dead.conn.state).toBe('open');
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('the same pair with an async per-message extension', () => {
  it('keeps every message and ping in order across async encodes and decodes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 6 }),
        fc.array(opArb, { maxLength: 6 }),
        fc.constantFrom<Role>('client', 'server'),
        fc.integer(),
        async (clientOps, serverOps, closer, seed) => {
          const random = prng(seed);
          const c2s = new Pipe();
          const s2c = new Pipe();
          const ext = (): ReturnType<typeof reversingExtension> => reversingExtension(prng(seed ^ 0x55), { minSize: 3, microtasksOnly: true });
          const client = new Side(new Connection({ role: 'client', now: () => 0, extension: ext() }), clientOps, c2s);
          const server = new Side(new Connection({ role: 'server', now: () => 0, extension: ext() }), serverOps, s2c);
          const deliver = (pipe: Pipe, to: Side): void => {
            if (pipe.size === 0) return;
            to.conn.receive(pipe.take(1 + Math.floor(random() * 60)));
            to.flush();
          };
          const busy = (): boolean => client.conn.pending() !== undefined || server.conn.pending() !== undefined;
          let closed = false;
          for (let guard = 0; guard < 100_000; guard++) {
            const r = random();
            if (r < 0.15 && !client.done) client.step();
            else if (r < 0.3 && !server.done) server.step();
            else if (r < 0.55) deliver(c2s, server);
            else if (r < 0.8) deliver(s2c, client);
            else {
              await Promise.resolve();
              client.flush();
              server.flush();
            }
            if (!closed && client.done && server.done) {
              closed = true;
              (closer === 'client' ? client : server).conn.close(1000);
              client.flush();
              server.flush();
            }
            if (closed && c2s.size === 0 && s2c.size === 0) {
              if (!busy()) break;
              await new Promise((resolve) => setImmediate(resolve));
              client.flush();
              server.flush();
            }
          }
          client.conn.receiveEof();
          server.conn.receiveEof();
          for (let i = 0; i < 10 && busy(); i++) await new Promise((resolve) => setImmediate(resolve));
          client.flush();
          server.flush();
          // Pings may overtake messages waiting on the extension (RFC 6455
          // §5.4 lets control frames go between), so data and pings are each
          // checked for order on their own.
          const data = (events: string[]): string[] => events.filter((e) => /^(text|binary):/.test(e));
          const pings = (events: string[]): string[] => events.filter((e) => e.startsWith('ping:'));
          expect(data(server.events)).toEqual(data(expectedFrom(clientOps)));
          expect(data(client.events)).toEqual(data(expectedFrom(serverOps)));
          expect(pings(server.events)).toEqual(pings(expectedFrom(clientOps)));
          expect(pings(client.events)).toEqual(pings(expectedFrom(serverOps)));
          for (const side of [client, server]) expect(side.events.at(-1)).toBe('closed:1000:true');
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
