// HTTP/2 flow control as WebSocket backpressure: a reader that stops on one
// stream stops only that stream's window; the other streams of the same
// connection go on, and neither side buffers without bound.
import type { ServerHttp2Stream } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, http2StreamOf, type Session } from '../src/index.js';
import { makeTestCert, type TestCert } from './helpers/certs.js';
import { startHttp2Echo, type Http2Echo } from './helpers/http2.js';

let cert: TestCert;
beforeAll(() => {
  cert = makeTestCert();
});
afterAll(() => cert.remove());

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const CHUNK = new Uint8Array(64 * 1024);
const MESSAGES = 64; // 4 MiB through a stream window of 64 KiB

async function echo(options: Parameters<typeof startHttp2Echo>[1] = {}): Promise<Http2Echo> {
  const server = await startHttp2Echo(cert, { perMessageDeflate: false, ...options }, (path) => path !== '/slow');
  cleanups.push(() => server.close());
  return server;
}

async function roundTrips(ws: Session, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const reply = new Promise((resolve) => ws.once('message', resolve));
    ws.send(`ping ${i}`);
    expect(await reply).toBe(`ping ${i}`);
  }
}

function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

describe('flow control over one HTTP/2 connection', () => {
  it('a server that holds one stream stops its window; another stream on the connection echoes on; nothing is lost', async () => {
    // Reading stops as soon as one message waits for the application.
    const server = await echo({ receiveHighWaterMessages: 1, receiveHighWaterBytes: 64 * 1024 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let received = 0;
    let slowSide: Session | undefined;
    server.wss.on('connection', (ws, request) => {
      if (request.path !== '/slow') return;
      slowSide = ws;
      ws.on('message', () => {
        received++;
        return held; // the application is behind: reading stops
      });
    });
    const tls = { ca: cert.cert };
    const slow = await connect(`wss://127.0.0.1:${server.port}/slow`, { http2: true, tls, perMessageDeflate: false });
    const fast = await connect(`wss://127.0.0.1:${server.port}/fast`, { http2: true, tls, perMessageDeflate: false });
    expect(http2StreamOf(slow)?.session).toBe(http2StreamOf(fast)?.session);
    for (let i = 0; i < MESSAGES; i++) slow.send(CHUNK);
    await until(() => slowSide?.receivePaused === true, 'the server to pause the slow stream');
    await roundTrips(fast, 20);
    // The server holds one window and the session's receive buffer, not the 4 MiB.
    const stream = http2StreamOf(slowSide!) as ServerHttp2Stream;
    await until(() => stream.state.localWindowSize === 0, 'the paused stream window to close');
    expect(stream.readableLength).toBeLessThanOrEqual(256 * 1024);
    expect(slow.bufferedAmount).toBeGreaterThan(2 * 1024 * 1024); // the sender holds the rest
    expect(received).toBeLessThan(8);
    release();
    await until(() => received === MESSAGES, 'every held message');
    await until(() => slow.bufferedAmount === 0, 'the sender to drain');
    slow.close(1000);
    fast.close(1000);
    await Promise.all([slow.closed, fast.closed]);
  });

  it('a client that stops reading one stream: the server sees backpressure there only', async () => {
    const server = await echo();
    const serverSides = new Map<string, Session>();
    server.wss.on('connection', (ws, request) => serverSides.set(request.path, ws));
    const tls = { ca: cert.cert };
    // Reading stops as soon as one message waits for the application.
    const slow = await connect(`wss://127.0.0.1:${server.port}/slow`, {
      http2: true,
      tls,
      perMessageDeflate: false,
      receiveHighWaterMessages: 1,
      receiveHighWaterBytes: 64 * 1024,
    });
    const fast = await connect(`wss://127.0.0.1:${server.port}/fast`, { http2: true, tls, perMessageDeflate: false });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let received = 0;
    slow.on('message', () => {
      received++;
      return held;
    });
    await until(() => serverSides.size === 2, 'both server sessions');
    const pusher = serverSides.get('/slow')!;
    let refused = 0;
    for (let i = 0; i < MESSAGES; i++) if (!pusher.send(CHUNK)) refused++;
    expect(refused).toBeGreaterThan(0); // send() said "wait for drain"
    await roundTrips(fast, 20);
    expect(pusher.bufferedAmount).toBeGreaterThan(2 * 1024 * 1024);
    expect(received).toBeLessThan(8);
    release();
    await until(() => received === MESSAGES, 'every message at the slow client');
    await pusher.drained();
    slow.close(1000);
    fast.close(1000);
    await Promise.all([slow.closed, fast.closed]);
  });

  it('memory stays bounded: a server that ignores backpressure towards a stalled stream gets 1008 at maxBufferedAmount', async () => {
    const server = await echo({ maxBufferedAmount: 1024 * 1024 });
    const serverSide = new Promise<Session>((resolve) => server.wss.once('connection', resolve));
    const slow = await connect(`wss://127.0.0.1:${server.port}/stall`, { http2: true, tls: { ca: cert.cert }, perMessageDeflate: false });
    slow.on('message', () => new Promise(() => {})); // never reads again
    const pusher = await serverSide;
    for (let i = 0; i < MESSAGES && pusher.readyState === 1; i++) pusher.send(CHUNK);
    expect((await pusher.closed).code).toBe(1008);
    slow.terminate();
  });
});
