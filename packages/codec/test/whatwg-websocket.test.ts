// The WHATWG WebSocket class (src/whatwg/websocket.ts) over in-memory byte
// pipes with the real codec on both sides: the cases the TCP suite cannot
// script from a framewire server (a peer that breaks the protocol), and the
// ordering rules of Blob sends.
import { describe, expect, it } from 'vitest';
import { computeAcceptKey } from '../src/protocol/accept-key.js';
import type { Scheduler } from '../src/session/index.js';
import { acceptWebSocket, connectWebSocket, type Session } from '../src/session/index.js';
import { WebSocket, streamTransport, toWebSocket, toWebSocketStream, type WebSocketConnector } from '../src/whatwg/index.js';

const timers: Scheduler = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

type Pair = { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
function crossedPipes(): [Pair, Pair] {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ];
}

/** A connector whose server end is handed to `serve` as a raw byte pair. */
function pipeConnector(serve: (pair: Pair) => void): WebSocketConnector {
  return async (url, { protocols }) => {
    const [client, server] = crossedPipes();
    serve(server);
    const transport = streamTransport(client);
    const upgrade = connectWebSocket(transport, { url, protocols, scheduler: timers });
    transport.attach(upgrade);
    return upgrade.session;
  };
}

/** Events of `ws` until close, as `type` or `type:code:wasClean`. */
function events(ws: WebSocket): Promise<string[]> {
  const seen: string[] = [];
  return new Promise((resolve) => {
    ws.addEventListener('open', () => seen.push('open'));
    ws.addEventListener('error', () => seen.push('error'));
    ws.addEventListener('message', (event) => seen.push(`message:${String((event as MessageEvent).data)}`));
    ws.addEventListener('close', (event) => {
      const close = event as CloseEvent;
      seen.push(`close:${close.code}:${close.wasClean}`);
      resolve(seen);
    });
  });
}

describe('WebSocket (WHATWG) over in-memory pipes', () => {
  it('a peer that sends invalid UTF-8 fails the connection: error, then close 1007', async () => {
    const ws = new WebSocket(
      'ws://pipe/',
      undefined,
      pipeConnector(async ({ readable, writable }) => {
        const reader = readable.getReader();
        let head = '';
        while (!head.includes('\r\n\r\n')) head += new TextDecoder().decode((await reader.read()).value);
        const key = /sec-websocket-key: *(\S+)/i.exec(head)![1]!;
        const writer = writable.getWriter();
        const response = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${computeAcceptKey(key)}\r\n\r\n`;
        await writer.write(new TextEncoder().encode(response));
        await writer.write(new Uint8Array([0x81, 0x02, 0xc3, 0x28])); // a text frame holding invalid UTF-8
        for (;;) if ((await reader.read()).done) break; // read our close frame, until EOF
        await writer.close();
      }),
    );
    expect(await events(ws)).toEqual(['open', 'error', 'close:1007:false']);
  });

  it('Blob sends keep their place among other sends; bufferedAmount counts the Blob while it is read', async () => {
    let serverSession: Promise<Session> | undefined;
    const received: string[] = [];
    const ws = new WebSocket(
      'ws://pipe/',
      undefined,
      pipeConnector((pair) => {
        const transport = streamTransport(pair);
        const upgrade = acceptWebSocket(transport, { scheduler: timers });
        transport.attach(upgrade);
        serverSession = upgrade.result.then((result) => {
          if (result.type !== 'accepted') throw new Error(result.type);
          result.session.on('message', (data) => void received.push(typeof data === 'string' ? data : `bytes:${Array.from(data as Uint8Array)}`));
          return result.session;
        });
      }),
    );
    await new Promise((resolve) => (ws.onopen = resolve));
    ws.send('first');
    ws.send(new Blob([new Uint8Array([2, 2])]));
    ws.send('third');
    ws.send(new Uint8Array([4]));
    expect(ws.bufferedAmount).toBe(5 + 2 + 5 + 1);
    while (received.length < 4) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(received).toEqual(['first', 'bytes:2,2', 'third', 'bytes:4']);
    expect(ws.bufferedAmount).toBe(0);
    ws.close(3000, 'end');
    expect((await (await serverSession!).closed).code).toBe(3000);
  });

  it('sending past the hard buffer limit flags the connection as full: error, then close', async () => {
    const ws = new WebSocket('ws://pipe/', undefined, async (url) => {
      const [client, server] = crossedPipes();
      // The peer answers the handshake, then never reads again.
      const transport = streamTransport(server);
      const accepted = acceptWebSocket(transport, { scheduler: timers });
      transport.attach(accepted);
      const clientTransport = streamTransport(client, { highWaterMark: 1024 });
      const upgrade = connectWebSocket(clientTransport, { url, scheduler: timers, maxBufferedAmount: 4096, highWaterMark: 1024, connection: { closeTimeout: 50 } });
      clientTransport.attach(upgrade);
      const session = await upgrade.session;
      transport.pause(); // the server side stops reading: our writes back up
      return session;
    });
    const seen = events(ws);
    await new Promise((resolve) => (ws.onopen = resolve));
    for (let i = 0; i < 64 && ws.readyState === WebSocket.OPEN; i++) {
      ws.send(new Uint8Array(1024));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const trace = await seen;
    expect(trace.slice(0, 2)).toEqual(['open', 'error']);
    expect(trace[2]).toMatch(/^close:(1008|1006):false$/);
  });

  it('toWebSocket: a server-side wrapper starts OPEN, delivers as blob by default and fires close', async () => {
    const [clientPair, serverPair] = crossedPipes();
    const serverTransport = streamTransport(serverPair);
    const accepted = acceptWebSocket(serverTransport, { scheduler: timers });
    serverTransport.attach(accepted);
    const clientTransport = streamTransport(clientPair);
    const upgrade = connectWebSocket(clientTransport, { url: 'ws://pipe/', scheduler: timers });
    clientTransport.attach(upgrade);
    const result = await accepted.result;
    if (result.type !== 'accepted') throw new Error(result.type);
    const ws = toWebSocket(result.session, { url: 'ws://pipe/' });
    expect([ws.readyState, ws.url, ws.binaryType]).toEqual([WebSocket.OPEN, 'ws://pipe/', 'blob']);
    const seen = events(ws);
    const got = new Promise<unknown>((resolve) => ws.addEventListener('message', (event) => resolve((event as MessageEvent).data), { once: true }));
    const client = await upgrade.session;
    client.send(new Uint8Array([1, 2]));
    const data = await got;
    expect(data).toBeInstanceOf(Blob);
    expect(Array.from(new Uint8Array(await (data as Blob).arrayBuffer()))).toEqual([1, 2]);
    client.close(4000, 'bye');
    expect(await seen).toEqual(['message:[object Blob]', 'close:4000:true']);
    expect(() => ws.send('late')).not.toThrow(); // CLOSED: counted, not sent, no exception (the standard)
    expect(ws.bufferedAmount).toBe(4);
  });

  it('send() snapshots the bytes: changing them after send never changes what the peer gets (small frames framed at once, large ones copied)', async () => {
    const [clientPair, serverPair] = crossedPipes();
    const serverTransport = streamTransport(serverPair);
    const accepted = acceptWebSocket(serverTransport, { scheduler: timers });
    serverTransport.attach(accepted);
    const clientTransport = streamTransport(clientPair);
    const upgrade = connectWebSocket(clientTransport, { url: 'ws://pipe/', scheduler: timers });
    clientTransport.attach(upgrade);
    const result = await accepted.result;
    if (result.type !== 'accepted') throw new Error(result.type);
    const ws = toWebSocket(result.session);
    const client = await upgrade.session;
    const received: number[][] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        const bytes = data as Uint8Array;
        received.push([bytes.length, bytes[0]!, bytes[bytes.length - 1]!]);
        if (received.length === 4) resolve();
      }),
    );
    for (const size of [16, 16 * 1024, 16 * 1024 + 1, 200_000]) {
      const bytes = new Uint8Array(size).fill(7);
      ws.send(size % 2 === 0 ? bytes : bytes.buffer);
      bytes.fill(9); // after send(): must not reach the peer
    }
    await all;
    expect(received).toEqual([
      [16, 7, 7],
      [16 * 1024, 7, 7],
      [16 * 1024 + 1, 7, 7],
      [200_000, 7, 7],
    ]);
    client.close(1000);
  });

  it('builds no message event while nobody listens; a listener added later gets the next message', async () => {
    const [clientPair, serverPair] = crossedPipes();
    const serverTransport = streamTransport(serverPair);
    const accepted = acceptWebSocket(serverTransport, { scheduler: timers });
    serverTransport.attach(accepted);
    const clientTransport = streamTransport(clientPair);
    const upgrade = connectWebSocket(clientTransport, { url: 'ws://pipe/', scheduler: timers });
    clientTransport.attach(upgrade);
    const result = await accepted.result;
    if (result.type !== 'accepted') throw new Error(result.type);
    const ws = toWebSocket(result.session);
    const dispatched: string[] = [];
    const dispatch = ws.dispatchEvent.bind(ws);
    ws.dispatchEvent = (event: Event) => (dispatched.push(event.type), dispatch(event));
    const client = await upgrade.session;
    const pong = new Promise<void>((resolve) => client.once('message', () => resolve()));
    client.send('unheard');
    // The server answers only once a listener is in place; the first message had none.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const heard = new Promise<string>((resolve) => {
      const listener = (event: Event): void => {
        ws.removeEventListener('message', listener);
        resolve(String((event as MessageEvent).data));
      };
      ws.addEventListener('message', listener);
    });
    client.send('heard');
    expect(await heard).toBe('heard');
    ws.onmessage = (event) => ws.send(`echo ${String((event as MessageEvent).data)}`);
    client.send('x');
    await pong;
    expect(dispatched).toEqual(['message', 'message']);
    client.close(1000);
  });

  it('WebSocketStream writes snapshot the bytes too: changing them after write() never changes what the peer gets', async () => {
    const [clientPair, serverPair] = crossedPipes();
    const serverTransport = streamTransport(serverPair);
    const accepted = acceptWebSocket(serverTransport, { scheduler: timers });
    serverTransport.attach(accepted);
    const clientTransport = streamTransport(clientPair);
    const upgrade = connectWebSocket(clientTransport, { url: 'ws://pipe/', scheduler: timers });
    clientTransport.attach(upgrade);
    const result = await accepted.result;
    if (result.type !== 'accepted') throw new Error(result.type);
    const { writable } = await toWebSocketStream(result.session).opened;
    const client = await upgrade.session;
    const received: number[][] = [];
    const all = new Promise<void>((resolve) =>
      client.on('message', (data) => {
        const bytes = data as Uint8Array;
        received.push([bytes.length, bytes[0]!, bytes[bytes.length - 1]!]);
        if (received.length === 3) resolve();
      }),
    );
    const writer = writable.getWriter();
    for (const size of [16, 16 * 1024 + 1, 100_000]) {
      const bytes = new Uint8Array(size).fill(7);
      const written = writer.write(size === 16 ? bytes.buffer : bytes);
      bytes.fill(9); // right after write(): must not reach the peer
      await written;
    }
    await all;
    expect(received).toEqual([
      [16, 7, 7],
      [16 * 1024 + 1, 7, 7],
      [100_000, 7, 7],
    ]);
    client.close(1000);
  });
});
