import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/protocol/errors.js';
import type { CloseInfo } from '../src/session/session.js';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { sessionPair, settle } from './session-helpers.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('Session: messages', () => {
  it('carries text and binary both ways, with isBinary', async () => {
    const { client, server } = sessionPair();
    const atServer: [SessionMessage, boolean][] = [];
    const atClient: [SessionMessage, boolean][] = [];
    server.on('message', (data, isBinary) => {
      atServer.push([data, isBinary]);
      server.send(data, { binary: isBinary });
    });
    client.on('message', (data, isBinary) => atClient.push([data, isBinary]));
    client.send('héllo');
    client.send(bytes(1, 2, 3));
    client.send('as bytes', { binary: true });
    client.send(new Uint16Array([0x0102]));
    await settle();
    expect(atServer).toEqual([
      ['héllo', false],
      [bytes(1, 2, 3), true],
      [new TextEncoder().encode('as bytes'), true],
      [new Uint8Array(new Uint16Array([0x0102]).buffer), true],
    ]);
    expect(atClient).toEqual(atServer);
  });

  it('delivers binary as ArrayBuffer when binaryType is arraybuffer', async () => {
    const { client, server } = sessionPair({ server: { binaryType: 'arraybuffer' } });
    const got: SessionMessage[] = [];
    server.on('message', (data) => got.push(data));
    client.send(bytes(9, 8, 7));
    await settle();
    server.binaryType = 'uint8array';
    client.send(bytes(6));
    await settle();
    expect(got[0]).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(got[0] as ArrayBuffer)).toEqual(bytes(9, 8, 7));
    expect(got[1]).toBeInstanceOf(Uint8Array);
  });

  it('sends fragments with fin: false as one message', async () => {
    const { client, server } = sessionPair();
    const got: SessionMessage[] = [];
    server.on('message', (data) => got.push(data));
    client.send('ab', { fin: false });
    client.send('cd', { fin: false });
    client.send('e');
    await settle();
    expect(got).toEqual(['abcde']);
  });

  it('holds messages until a consumer exists, then delivers them in order', async () => {
    const { client, server } = sessionPair();
    for (let i = 0; i < 5; i++) client.send(`m${i}`);
    await settle();
    const got: SessionMessage[] = [];
    server.on('message', (data) => got.push(data));
    client.send('m5');
    await settle();
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('batches every send of one tick into one transport write', async () => {
    const { client, clientEnd, server } = sessionPair();
    const got: SessionMessage[] = [];
    server.on('message', (data) => got.push(data));
    await settle();
    const before = clientEnd.stats.writes;
    for (let i = 0; i < 100; i++) client.send(`n${i}`);
    await settle();
    expect(clientEnd.stats.writes - before).toBe(1);
    expect(got).toHaveLength(100);
  });

  it('emits ping and pong; the pong echoes the ping payload', async () => {
    const { client, server } = sessionPair();
    const pings: Uint8Array[] = [];
    const pongs: Uint8Array[] = [];
    server.on('ping', (d) => pings.push(d));
    client.on('pong', (d) => pongs.push(d));
    client.ping('abc');
    await settle();
    expect(pings).toEqual([new TextEncoder().encode('abc')]);
    expect(pongs).toEqual([new TextEncoder().encode('abc')]);
  });

  it('reports a listener exception without breaking the session', async () => {
    const { client, server, listenerErrors } = sessionPair();
    const got: SessionMessage[] = [];
    server.on('message', () => {
      throw new Error('boom');
    });
    server.on('message', (data) => got.push(data));
    client.send('a');
    client.send('b');
    await settle();
    expect(listenerErrors.map((e) => (e as Error).message)).toEqual(['boom', 'boom']);
    expect(got).toEqual(['a', 'b']);
  });
});

describe('Session: async iterator', () => {
  it('yields every message and ends at close', async () => {
    const { client, server } = sessionPair();
    const got: SessionMessage[] = [];
    const loop = (async () => {
      for await (const message of server) got.push(message);
    })();
    for (let i = 0; i < 10; i++) client.send(i % 2 === 0 ? `t${i}` : bytes(i));
    client.close(1000, 'done');
    await loop;
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? `t${i}` : bytes(i))));
    expect(await client.closed).toEqual({ code: 1000, reason: '', wasClean: true });
  });

  it('stops without closing the session when the loop breaks', async () => {
    const { client, server } = sessionPair();
    client.send('first');
    client.send('second');
    for await (const m of server) {
      expect(m).toBe('first');
      break;
    }
    const rest: SessionMessage[] = [];
    server.on('message', (d) => rest.push(d));
    await settle();
    expect(rest).toEqual(['second']);
    expect(server.readyState).toBe(1);
  });
});

describe('Session: closing', () => {
  it('closes cleanly when the client starts the handshake', async () => {
    const { client, server, clientEnd, serverEnd } = sessionPair();
    const events: [string, CloseInfo][] = [];
    client.on('close', (info) => events.push(['client', info]));
    server.on('close', (info) => events.push(['server', info]));
    client.close(1000, 'bye');
    expect(client.readyState).toBe(2);
    expect(() => client.send('late')).toThrow(UsageError);
    await settle();
    // The server reads our reason; its echo carries the code only (RFC 6455 §5.5.1).
    expect(await server.closed).toEqual({ code: 1000, reason: 'bye', wasClean: true });
    expect(await client.closed).toEqual({ code: 1000, reason: '', wasClean: true });
    expect(events.map(([who]) => who).sort()).toEqual(['client', 'server']);
    expect(client.readyState).toBe(3);
    expect(serverEnd.ended).toBe(true);
    expect(clientEnd.ended || clientEnd.destroyed).toBe(true);
  });

  it('closes cleanly when the server starts the handshake with an application code', async () => {
    const { client, server } = sessionPair();
    server.close(4321, 'app');
    await settle();
    expect(await client.closed).toEqual({ code: 4321, reason: 'app', wasClean: true });
    expect(await server.closed).toEqual({ code: 4321, reason: '', wasClean: true });
  });

  it('rejects close codes the API does not allow', () => {
    const { client } = sessionPair();
    expect(() => client.close(1006)).toThrow(UsageError);
    expect(() => client.close(2000)).toThrow(UsageError);
  });

  it('reports 1006 to the peer on an abrupt end', async () => {
    const { client, server, serverEnd } = sessionPair();
    serverEnd.destroy();
    await settle();
    expect(await client.closed).toEqual({ code: 1006, reason: '', wasClean: false });
    expect((await server.closed).code).toBe(1006);
  });

  it('terminate() destroys the transport and reports 1006 at once', async () => {
    const { client, server, clientEnd } = sessionPair();
    const closes: CloseInfo[] = [];
    client.on('close', (info) => closes.push(info));
    client.terminate();
    expect(clientEnd.destroyed).toBe(true);
    expect(closes).toEqual([{ code: 1006, reason: '', wasClean: false }]);
    client.terminate();
    await settle();
    expect(closes).toHaveLength(1);
    expect((await server.closed).code).toBe(1006);
  });

  it('gives up on a peer that never answers the close, after the close timeout', async () => {
    const { client, clock, clientEnd } = sessionPair({ clientConnection: { closeTimeout: 1000 } });
    clientEnd.pause(); // the client never reads the server's reply
    client.close(1000);
    await settle();
    expect(client.readyState).toBe(2);
    clock.advance(999);
    await settle();
    expect(client.readyState).toBe(2);
    clock.advance(1);
    await settle();
    expect((await client.closed).wasClean).toBe(false);
  });
});

describe('Session: heartbeat', () => {
  it('keeps a live peer and detects a dead one', async () => {
    const { server, clock, clientEnd } = sessionPair({
      serverConnection: { heartbeat: { interval: 1000, timeout: 500 } },
    });
    let pongs = 0;
    server.on('pong', () => pongs++);
    // Small steps: delivery is asynchronous, time must not jump past the pong.
    for (let i = 0; i < 50; i++) {
      clock.advance(100);
      await settle(1);
    }
    expect(pongs).toBeGreaterThanOrEqual(4);
    expect(server.readyState).toBe(1);
    clientEnd.pause(); // the client stops reading: no more pongs
    let closedAt: number | undefined;
    server.on('close', () => {
      closedAt = clock.now();
    });
    const start = clock.now();
    for (let i = 0; i < 40 && closedAt === undefined; i++) {
      clock.advance(100);
      await settle();
    }
    expect(closedAt).toBeDefined();
    // Dead after at most one interval plus the timeout (plus the close timeout, if the server waits for a reply).
    expect(closedAt! - start).toBeGreaterThanOrEqual(500);
    expect((await server.closed).wasClean).toBe(false);
  });
});

describe('Session: send backpressure', () => {
  it('send returns false at the high-water mark and drained() resolves once the peer reads', async () => {
    const { client, server, serverEnd } = sessionPair({
      transport: { capacity: 4096 },
      client: { highWaterMark: 16 * 1024 },
    });
    const got: SessionMessage[] = [];
    server.on('message', (d) => got.push(d));
    serverEnd.pause(); // slow reader
    await settle();
    let sent = 0;
    const chunk = new Uint8Array(1000);
    while (client.send(chunk.map((_, i) => (i + sent) & 0xff))) {
      sent++;
      await settle(1);
      expect(sent).toBeLessThan(1000);
    }
    sent++;
    expect(client.bufferedAmount).toBeGreaterThanOrEqual(16 * 1024);
    let drainEvents = 0;
    client.on('drain', () => drainEvents++);
    let drained = false;
    const wait = client.drained().then(() => {
      drained = true;
    });
    await settle();
    expect(drained).toBe(false);
    serverEnd.resume();
    await wait;
    await settle();
    expect(drainEvents).toBe(1);
    expect(client.bufferedAmount).toBeLessThan(16 * 1024);
    expect(got).toHaveLength(sent);
    got.forEach((m, k) => expect((m as Uint8Array)[0]).toBe(k & 0xff));
  });

  it('fails the connection with 1008 past maxBufferedAmount and destroys it after the close timeout', async () => {
    const { client, server, serverEnd, clientEnd, clock } = sessionPair({
      transport: { capacity: 1024 },
      client: { highWaterMark: 8 * 1024, maxBufferedAmount: 32 * 1024 },
      clientConnection: { closeTimeout: 1000 },
    });
    serverEnd.pause();
    await settle();
    const payload = new Uint8Array(1024);
    let threw: unknown;
    for (let i = 0; i < 1000; i++) {
      try {
        client.send(payload);
      } catch (error) {
        threw = error;
        break;
      }
      await settle(1);
    }
    expect(threw).toBeInstanceOf(UsageError);
    expect(client.readyState).toBe(2);
    clock.advance(1000);
    await settle();
    expect((await client.closed).wasClean).toBe(false);
    clock.advance(5000);
    await settle();
    expect(clientEnd.destroyed).toBe(true);
    void server;
  });

  it('the peer sees 1008 when it reads the backlog in time', async () => {
    const { client, server, serverEnd } = sessionPair({
      transport: { capacity: 1024 },
      client: { highWaterMark: 8 * 1024, maxBufferedAmount: 32 * 1024 },
    });
    let received = 0;
    server.on('message', () => received++);
    serverEnd.pause();
    await settle();
    let sent = 0;
    for (let i = 0; i < 1000 && client.readyState === 1; i++) {
      client.send(new Uint8Array(1024));
      sent++;
    }
    serverEnd.resume();
    const info = await server.closed;
    expect(info.code).toBe(1008);
    expect(received).toBe(sent); // nothing dropped: every accepted message arrived before the close
  });
});

describe('Session: receive backpressure', () => {
  it('pauses the transport for a slow iterator and resumes; every message once, in order', async () => {
    const { client, server, serverEnd } = sessionPair({ server: { receiveHighWaterMessages: 8 }, transport: { maxChunkSize: 16 } });
    const total = 200;
    for (let i = 0; i < total; i++) client.send(`msg ${i}`);
    const got: SessionMessage[] = [];
    let maxHeldWhilePaused = 0;
    for await (const m of server) {
      got.push(m);
      if (serverEnd.paused) maxHeldWhilePaused = Math.max(maxHeldWhilePaused, got.length);
      await settle(1); // a slow consumer
      if (got.length === total) break;
    }
    expect(got).toEqual(Array.from({ length: total }, (_, i) => `msg ${i}`));
    expect(serverEnd.stats.pauses).toBeGreaterThan(0);
    expect(serverEnd.stats.resumes).toBe(serverEnd.stats.pauses);
    expect(serverEnd.paused).toBe(false);
    expect(maxHeldWhilePaused).toBeGreaterThan(0);
  });

  it('pauses while message listeners have unsettled promises', async () => {
    const { client, server, serverEnd } = sessionPair({ server: { receiveHighWaterMessages: 4 }, transport: { maxChunkSize: 16 } });
    const release: (() => void)[] = [];
    const got: SessionMessage[] = [];
    server.on('message', (d) => {
      got.push(d);
      return new Promise<void>((resolve) => release.push(resolve));
    });
    for (let i = 0; i < 20; i++) client.send(`x${i}`);
    await settle();
    expect(serverEnd.paused).toBe(true);
    expect(server.receivePaused).toBe(true);
    while (got.length < 20) {
      release.splice(0).forEach((r) => r());
      await settle();
    }
    release.splice(0).forEach((r) => r());
    await settle();
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `x${i}`));
    expect(serverEnd.paused).toBe(false);
  });
});
