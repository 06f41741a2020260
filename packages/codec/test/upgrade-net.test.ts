/**
 * The upgrade drivers and the session over real Node TCP sockets, against
 * the `ws` library as the peer: a 30-line transport is all an adapter needs.
 * Binds 127.0.0.1 only; every socket and server is closed after each test.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { permessageDeflate } from '../src/protocol/deflate-extension.js';
import type { Scheduler } from '../src/session/scheduler.js';
import type { Session } from '../src/session/session.js';
import type { SessionMessage } from '../src/session/session-inbox.js';
import type { Transport, TransportSink } from '../src/session/transport.js';
import { connectWebSocket } from '../src/session/upgrade-client.js';
import { acceptWebSocket, allowOrigins } from '../src/session/upgrade-server.js';

const scheduler: Scheduler = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function socketTransport(socket: net.Socket): Transport {
  return {
    write(chunks) {
      socket.cork();
      let ok = true;
      for (const chunk of chunks) ok = socket.write(chunk);
      socket.uncork();
      return ok;
    },
    end: () => socket.end(),
    destroy: () => socket.destroy(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    get bufferedAmount() {
      return socket.writableLength;
    },
  };
}

function wire(socket: net.Socket, sink: TransportSink): void {
  socket.on('data', (chunk: Buffer) => sink.receive(chunk));
  socket.on('end', () => sink.receiveEof());
  socket.on('error', (error) => sink.receiveEof(error));
  socket.on('close', () => sink.receiveEof());
  socket.on('drain', () => sink.drain());
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: net.Server | WebSocketServer): Promise<number> {
  if (server instanceof WebSocketServer) {
    await new Promise<void>((resolve) => server.once('listening', resolve));
    return (server.address() as net.AddressInfo).port;
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Our server: every accepted session echoes. */
async function echoServer(options: Partial<Parameters<typeof acceptWebSocket>[1]> = {}): Promise<{ port: number; sessions: Session[] }> {
  const sessions: Session[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const upgrade = acceptWebSocket(socketTransport(socket), { scheduler, ...options });
    wire(socket, upgrade);
    void upgrade.result.then((result) => {
      if (result.type !== 'accepted') return;
      const session = result.session;
      sessions.push(session);
      session.on('message', (data, isBinary) => session.send(data, { binary: isBinary }));
    });
  });
  const port = await listen(server);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port, sessions };
}

describe('over TCP with ws as the peer', () => {
  it('a ws client talks to our server: text, binary, clean close', async () => {
    const { port, sessions } = await echoServer({ protocols: ['chat'] });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/x`, ['chat']);
    cleanups.push(() => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.protocol).toBe('chat');
    const got: [string, boolean][] = [];
    ws.on('message', (data, isBinary) => got.push([isBinary ? `bin:${[...(data as Buffer)].join(',')}` : String(data), isBinary]));
    ws.send('hello');
    ws.send(Buffer.from([1, 2, 3]));
    ws.send('x'.repeat(100_000));
    await new Promise<void>((resolve) => {
      const check = (): void => (got.length === 3 ? resolve() : void setTimeout(check, 5));
      check();
    });
    expect(got[0]).toEqual(['hello', false]);
    expect(got[1]).toEqual(['bin:1,2,3', true]);
    expect(got[2]![0]).toHaveLength(100_000);
    const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, String(reason)])));
    ws.close(1000, 'bye');
    expect(await closed).toEqual([1000, '']);
    expect(await sessions[0]!.closed).toEqual({ code: 1000, reason: 'bye', wasClean: true });
  });

  it('a ws client with permessage-deflate talks to our server', async () => {
    const { port, sessions } = await echoServer({ extensions: [permessageDeflate({ threshold: 0 })] });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true });
    cleanups.push(() => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.extensions).toContain('permessage-deflate');
    const echoed = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    const text = 'compress me '.repeat(1000);
    ws.send(text);
    expect(await echoed).toBe(text);
    expect(sessions[0]!.extensions).toContain('permessage-deflate');
  });

  it('a refused origin gets 403 before any upgrade', async () => {
    const { port } = await echoServer({ accept: allowOrigins(['https://app.example']) });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { origin: 'https://evil.example' });
    cleanups.push(() => ws.terminate());
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    expect(status).toBe(403);
  });

  it('our client talks to a ws server: echo and clean close', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => resolve());
        }),
    );
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    const port = await listen(wss);
    const socket = net.connect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    const upgrade = connectWebSocket(socketTransport(socket), {
      scheduler,
      url: `ws://127.0.0.1:${port}/echo`,
      extensions: [permessageDeflate({ threshold: 0 })],
    });
    wire(socket, upgrade);
    const session = await upgrade.session;
    expect(session.extensions).toContain('permessage-deflate');
    const got: SessionMessage[] = [];
    session.on('message', (m) => got.push(m));
    session.send('ping me');
    session.send(Uint8Array.of(7, 8, 9));
    await new Promise<void>((resolve) => {
      const check = (): void => (got.length === 2 ? resolve() : void setTimeout(check, 5));
      check();
    });
    expect(got[0]).toBe('ping me');
    expect([...(got[1] as Uint8Array)]).toEqual([7, 8, 9]);
    session.close(1000, 'done');
    expect(await session.closed).toEqual({ code: 1000, reason: 'done', wasClean: true });
  });
});

describe('over TCP: backpressure both ways', () => {
  it('a slow iterator pauses the socket; every message arrives once, in order', async () => {
    let serverSession: Session | undefined;
    const sessionReady = new Promise<Session>((resolve) => {
      const server = net.createServer((socket) => {
        const upgrade = acceptWebSocket(socketTransport(socket), { scheduler, receiveHighWaterMessages: 16 });
        wire(socket, upgrade);
        void upgrade.result.then((r) => {
          if (r.type === 'accepted') resolve((serverSession = r.session));
        });
        cleanups.push(() => void socket.destroy());
      });
      cleanups.push(() => new Promise<void>((done) => server.close(() => done())));
      void listen(server).then((port) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
        cleanups.push(() => ws.terminate());
        ws.once('open', () => {
          for (let i = 0; i < 3000; i++) ws.send(`m${i} ${'.'.repeat(100)}`);
        });
      });
    });
    const session = await sessionReady;
    const got: string[] = [];
    let sawPause = false;
    for await (const m of session) {
      got.push((m as string).split(' ')[0]!);
      if (session.receivePaused) sawPause = true;
      if (got.length % 100 === 0) await new Promise((r) => setTimeout(r, 1));
      if (got.length === 3000) break;
    }
    expect(sawPause).toBe(true);
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => `m${i}`));
    expect(serverSession!.receivePaused).toBe(false);
  });

  it('send returns false while the peer does not read; drained() resolves once it reads', async () => {
    const { port, sessions } = await echoServer({ highWaterMark: 256 * 1024, maxBufferedAmount: 64 * 1024 * 1024 });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    cleanups.push(() => ws.terminate());
    await new Promise((resolve) => ws.once('open', resolve));
    for (let i = 0; i < 100 && sessions.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const session = sessions[0]!;
    ws.pause(); // the client stops reading
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    let refused = false;
    for (; sent < 2000; ) {
      sent++;
      if (!session.send(chunk)) {
        refused = true;
        break;
      }
      if (sent % 16 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(refused).toBe(true);
    expect(session.bufferedAmount).toBeGreaterThanOrEqual(256 * 1024);
    let received = 0;
    ws.on('message', () => received++);
    const drained = session.drained();
    ws.resume();
    await drained;
    for (let i = 0; i < 400 && received < sent; i++) await new Promise((r) => setTimeout(r, 5));
    expect(received).toBe(sent);
  });
});
