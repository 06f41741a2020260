// The WHATWG WebSocket and the WICG WebSocketStream of every adapter,
// against a framewire server on 127.0.0.1: the scripted scenarios of
// whatwg-scenarios.ts with the traces the standard asks for, the same
// scenarios against the runtime's own WebSocket (differential), and
// WebSocketStream backpressure both ways.
import assert from 'node:assert/strict';
import { delay, scenario, until, within, type AdapterFixture, type RequestLike, type ServerLike, type SessionLike } from './fixture.js';
import { PATHS, constructorChecks, scenarios, streamScenarios, type WebSocketClass, type WebSocketStreamClass } from './whatwg-scenarios.js';
import { expectedStreamTraces, expectedTraces, knownDifferences } from './whatwg-expected.js';

/** The adapter's WHATWG exports the suite uses (structural). */
export interface WhatwgApi {
  readonly WebSocket: WebSocketClass;
  readonly WebSocketStream: new (url: string, options?: { protocols?: string[]; signal?: AbortSignal }) => WebSocketStreamLike;
  toWebSocket(session: never): WebSocket;
  toWebSocketStream(session: never): WebSocketStreamLike;
  accept(): object;
  reject(status: number): object;
}

interface WebSocketStreamLike {
  readonly url: string;
  readonly opened: Promise<{ readable: ReadableStream<string | Uint8Array>; writable: WritableStream<string | ArrayBuffer | ArrayBufferView>; protocol: string; extensions: string }>;
  readonly closed: Promise<{ closeCode?: number; reason?: string }>;
  close(info?: { closeCode?: number; reason?: string }): void;
}

/** What a runtime gives the suite besides the shared fixture. */
export interface WhatwgFixture {
  readonly api: WhatwgApi;
  /** The runtime's own WebSocket (undici's on Node 20, the global one on Deno and Bun). */
  readonly native: { readonly name: string; readonly WebSocket: WebSocketClass } | undefined;
}

/** A server that answers the scenario paths (whatwg-scenarios.ts `PATHS`). */
export async function whatwgScenarioServer(api: WhatwgApi, listen: (options: object) => Promise<{ server: ServerLike; url: string }>): Promise<string> {
  const { server, url } = await listen({
    protocols: ['chat.v1', 'chat.v2'],
    perMessageDeflate: false,
    accept: (request: RequestLike) => (request.path === PATHS.reject ? api.reject(403) : api.accept()),
  });
  server.on('connection', (session: SessionLike, request: RequestLike) => {
    session.on('error', () => {});
    if (request.path === PATHS.serverClose) session.close(4001, 'bye');
    else if (request.path === PATHS.drop) setTimeout(() => session.terminate(), 20);
    else session.on('message', (data, isBinary) => void (session.readyState === 1 && session.send(data as string | Uint8Array, { binary: isBinary })));
  });
  return url;
}

/** Bytes whose pattern shows a lost, doubled or reordered message. */
function numbered(index: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, index);
  for (let i = 4; i < size; i++) bytes[i] = (index + i) & 0xff;
  return bytes;
}

export function whatwgSuite(fixture: AdapterFixture, whatwg: WhatwgFixture): void {
  const { api } = whatwg;

  for (const [name, run] of Object.entries(scenarios)) {
    scenario(fixture, `WebSocket: ${name}`, async (t) => {
      const base = await whatwgScenarioServer(api, t.listen);
      const trace = await run(api.WebSocket, base);
      assert.deepEqual(trace, expectedTraces[name], `framewire's trace of "${name}"`);
      if (whatwg.native === undefined) return;
      // Differential: the runtime's own WebSocket sees the same, or the difference is listed with the standard's text.
      const native = await run(whatwg.native.WebSocket, base);
      const listed = knownDifferences[whatwg.native.name]?.[name];
      assert.deepEqual(native, listed?.trace ?? trace, `${whatwg.native.name}'s trace of "${name}" (listed: ${listed?.why ?? 'none'})`);
    });
  }

  for (const [name, run] of Object.entries(streamScenarios)) {
    scenario(fixture, `WebSocketStream: ${name.replace('stream: ', '')}`, async (t) => {
      const base = await whatwgScenarioServer(api, t.listen);
      assert.deepEqual(await within(run(api.WebSocketStream as unknown as WebSocketStreamClass, base), 10_000, name), expectedStreamTraces[name]);
    });
  }

  scenario(fixture, 'WebSocket: constructor arguments throw the standard SyntaxError; http(s) maps to ws(s)', async (t) => {
    const base = await whatwgScenarioServer(api, t.listen);
    const ours = constructorChecks(api.WebSocket, base);
    assert.deepEqual(ours, {
      'relative URL': 'throws:SyntaxError',
      'not a URL': 'throws:SyntaxError',
      'ftp scheme': 'throws:SyntaxError',
      fragment: 'throws:SyntaxError',
      'empty fragment': 'throws:SyntaxError',
      'repeated subprotocol': 'throws:SyntaxError',
      'subprotocol with a space': 'throws:SyntaxError',
      'empty subprotocol': 'throws:SyntaxError',
      'http maps to ws': 'url:ws://HOST/reject',
    });
    if (whatwg.native === undefined) return;
    const listed = knownDifferences[whatwg.native.name]?.['constructor'];
    assert.deepEqual(constructorChecks(whatwg.native.WebSocket, base), listed?.checks ?? ours, `${whatwg.native.name} (listed: ${listed?.why ?? 'none'})`);
    await delay(50); // the refused attempts end
  });

  scenario(fixture, 'WebSocket: the on… attributes keep their place, null removes them; events are real Events', async (t) => {
    const base = await whatwgScenarioServer(api, t.listen);
    const ws = new api.WebSocket(`${base}${PATHS.serverClose}`);
    const order: string[] = [];
    ws.addEventListener('close', () => order.push('listener 1'));
    ws.onclose = () => order.push('handler (replaced later)');
    ws.addEventListener('close', () => order.push('listener 2'));
    ws.onclose = (event) => {
      order.push('handler');
      assert.ok(event instanceof Event);
      assert.equal((event as CloseEvent).code, 4001);
    };
    ws.onopen = () => order.push('open');
    ws.onerror = () => order.push('error');
    ws.onerror = null;
    assert.equal(ws.onerror, null);
    await within(new Promise((resolve) => ws.addEventListener('close', resolve)), 5000, 'close');
    assert.deepEqual(order, ['open', 'listener 1', 'handler', 'listener 2']);
    assert.equal(api.WebSocket.CLOSED, 3);
    assert.equal(ws.CLOSING, 2);
  });

  scenario(fixture, 'WebSocket over an accepted server session: browser-style code on the server', async (t) => {
    const { server, url } = await t.listen({});
    server.on('connection', (session) => {
      const ws = api.toWebSocket(session as never);
      ws.binaryType = 'arraybuffer';
      ws.onmessage = (event) => ws.send(typeof event.data === 'string' ? event.data.toUpperCase() : new Uint8Array(event.data as ArrayBuffer).reverse());
      ws.onclose = (event) => ws.readyState === 3 && event.code === 4002 && void 0;
    });
    const client = new api.WebSocket(url);
    client.binaryType = 'arraybuffer';
    const received: unknown[] = [];
    client.onopen = () => {
      client.send('shout');
      client.send(new Uint8Array([1, 2, 3]));
    };
    client.onmessage = (event) => {
      received.push(typeof event.data === 'string' ? event.data : Array.from(new Uint8Array(event.data as ArrayBuffer)));
      if (received.length === 2) client.close(4002, 'done');
    };
    const closed = await within(new Promise<CloseEvent>((resolve) => (client.onclose = resolve)), 5000, 'close');
    assert.deepEqual(received, ['SHOUT', [3, 2, 1]]);
    assert.deepEqual({ code: closed.code, wasClean: closed.wasClean }, { code: 4002, wasClean: true });
  });

  scenario(fixture, "WebSocketServer shape: 'websocket': 'connection' hands out the adapter's WebSocket, already OPEN", async (t) => {
    const { server, url } = await t.listen({ shape: 'websocket' });
    const seen: string[] = [];
    (server as unknown as { on(event: 'connection', listener: (ws: WebSocket) => void): unknown }).on('connection', (ws) => {
      seen.push(`${ws instanceof api.WebSocket} ${ws.readyState}`);
      ws.binaryType = 'arraybuffer';
      // A listener added with addEventListener (no on… handler) sees every message; its event is a MessageEvent.
      ws.addEventListener('message', (event) => {
        seen.push(`${event instanceof Event} ${typeof MessageEvent !== 'function' || event instanceof MessageEvent} ${(event as MessageEvent).origin === ''}`);
        const data = (event as MessageEvent).data as string | ArrayBuffer;
        ws.send(typeof data === 'string' ? data.toUpperCase() : new Uint8Array(data).reverse());
      });
      ws.onclose = (event) => seen.push(`close ${event.code} ${event.wasClean}`);
    });
    const client = new api.WebSocket(url);
    client.binaryType = 'arraybuffer';
    const received: unknown[] = [];
    client.onopen = () => {
      client.send('shout');
      const bytes = new Uint8Array([1, 2, 3]);
      client.send(bytes);
      bytes[0] = 9; // send() took its own copy
    };
    client.onmessage = (event) => {
      received.push(typeof event.data === 'string' ? event.data : Array.from(new Uint8Array(event.data as ArrayBuffer)));
      if (received.length === 2) client.close(4003, 'done');
    };
    await within(new Promise((resolve) => (client.onclose = resolve)), 5000, 'close');
    await until(() => seen.length === 4, 5000, 'the server side close event');
    assert.deepEqual(received, ['SHOUT', [3, 2, 1]]);
    assert.deepEqual(seen, ['true 1', 'true true true', 'true true true', 'close 4003 true']);
  });

  scenario(fixture, "WebSocketServer shape: 'websocketstream': 'connection' hands out a WebSocketStream; a bad shape throws", async (t) => {
    await assert.rejects(t.listen({ shape: 'stream' }), /shape must be/);
    const { server, url } = await t.listen({ shape: 'websocketstream' });
    let isStream = false;
    (server as unknown as { on(event: 'connection', listener: (wss: WebSocketStreamLike) => void): unknown }).on('connection', (wss) => {
      isStream = wss instanceof api.WebSocketStream;
      void wss.opened.then(({ readable, writable }) => readable.pipeTo(writable)).catch(() => {});
    });
    const client = new api.WebSocketStream(url);
    const { readable, writable } = await within(client.opened, 5000, 'opened');
    const writer = writable.getWriter();
    const reader = readable.getReader();
    const COUNT = 200;
    for (let i = 0; i < COUNT; i++) void writer.write(i % 2 === 0 ? `m${i}` : new Uint8Array([i & 0xff]));
    for (let i = 0; i < COUNT; i++) {
      const { value } = await within(reader.read(), 5000, `echo ${i}`);
      assert.deepEqual(typeof value === 'string' ? value : Array.from(value!), i % 2 === 0 ? `m${i}` : [i & 0xff], `echo ${i} in order`);
    }
    client.close({ closeCode: 4000 });
    assert.deepEqual(await within(client.closed, 5000, 'closed'), { closeCode: 4000, reason: '' });
    assert.ok(isStream);
  });

  scenario(fixture, 'WebSocketStream: opened, echo of text and bytes, close({ closeCode, reason }), closed', async (t) => {
    const base = await whatwgScenarioServer(api, t.listen);
    assert.throws(() => new api.WebSocketStream(`${base}/#x`), { name: 'SyntaxError' });
    const wss = new api.WebSocketStream(`${base.replace('ws:', 'http:')}${PATHS.echo}`, { protocols: ['chat.v2'] });
    assert.equal(wss.url, `${base}${PATHS.echo}`);
    const { readable, writable, protocol, extensions } = await within(wss.opened, 5000, 'opened');
    assert.deepEqual({ protocol, extensions }, { protocol: 'chat.v2', extensions: '' });
    const writer = writable.getWriter();
    const reader = readable.getReader();
    await writer.write('text ✓');
    await writer.write(new Uint8Array([1, 2, 3]));
    assert.deepEqual(await reader.read(), { done: false, value: 'text ✓' });
    const bytes = await reader.read();
    assert.ok(bytes.value instanceof Uint8Array);
    assert.deepEqual(Array.from(bytes.value), [1, 2, 3]);
    assert.throws(() => wss.close({ closeCode: 1001 }), { name: 'InvalidAccessError' });
    assert.throws(() => wss.close({ closeCode: 1000, reason: 'x'.repeat(124) }), { name: 'SyntaxError' });
    wss.close({ closeCode: 4000, reason: 'bye' });
    assert.deepEqual(await within(wss.closed, 5000, 'closed'), { closeCode: 4000, reason: '' });
    assert.deepEqual(await reader.read(), { done: true, value: undefined });
  });

  scenario(fixture, 'WebSocketStream: a refused handshake rejects opened and closed; an aborted signal too', async (t) => {
    const base = await whatwgScenarioServer(api, t.listen);
    const refused = new api.WebSocketStream(`${base}${PATHS.reject}`);
    await assert.rejects(within(refused.opened, 5000, 'opened'), { name: 'WebSocketError' });
    await assert.rejects(within(refused.closed, 5000, 'closed'), { name: 'WebSocketError' });
    const controller = new AbortController();
    const aborted = new api.WebSocketStream(`${base}${PATHS.echo}`, { signal: controller.signal });
    controller.abort();
    await assert.rejects(within(aborted.opened, 5000, 'opened'), { name: 'AbortError' });
    const dropped = new api.WebSocketStream(`${base}${PATHS.drop}`);
    const { readable } = await within(dropped.opened, 5000, 'opened');
    await assert.rejects(within(dropped.closed, 5000, 'closed'), (error: Error & { closeCode?: number }) => error.name === 'WebSocketError' && error.closeCode === 1006);
    await assert.rejects(readable.getReader().read(), { name: 'WebSocketError' });
  });

  const COUNT = 600;
  const SIZE = 64 * 1024;
  // What a stalled reader lets through is the sum of every buffer on the way
  // (receive window, stream queue, both loopback socket buffers as the kernel
  // tunes them, the writer's high-water mark): about 300 messages on Bun under
  // load. 1,000 keeps "the writer waited" well clear of that while still
  // proving the bound.
  const STALLED_COUNT = 1000;

  scenario(fixture, 'WebSocketStream: a reader that stops makes the peer wait (bounded), then everything arrives in order', async (t) => {
    const { server, url } = await t.listen({});
    let written = 0;
    let serverDone: Promise<void> = Promise.resolve();
    server.on('connection', (session) => {
      serverDone = (async () => {
        const { writable } = await api.toWebSocketStream(session as never).opened;
        const writer = writable.getWriter();
        for (let i = 0; i < STALLED_COUNT; i++) {
          await writer.ready;
          await writer.write(numbered(i, SIZE));
          written++;
        }
      })();
    });
    const wss = new api.WebSocketStream(url);
    const { readable } = await within(wss.opened, 5000, 'opened');
    // Not reading: the server's writes stop once its buffers and ours are full.
    let last = -1;
    for (let i = 0; i < 50 && written !== last; i++) {
      last = written;
      await delay(60);
    }
    assert.ok(written < STALLED_COUNT / 2, `the writer waited: ${written} of ${STALLED_COUNT} messages (${(written * SIZE) >> 20} MiB) written while nobody read`);
    const reader = readable.getReader();
    for (let i = 0; i < STALLED_COUNT; i++) {
      const { value } = await within(reader.read(), 5000, `message ${i}`);
      assert.ok(value instanceof Uint8Array && value.length === SIZE, `message ${i} size`);
      assert.equal(new DataView(value.buffer, value.byteOffset).getUint32(0), i, 'in order, none lost');
    }
    await within(serverDone, 5000, 'the server wrote every message');
    wss.close();
    await within(wss.closed, 5000, 'closed');
  });

  scenario(fixture, 'WebSocketStream: a slow peer makes writer.ready wait, then everything arrives in order', async (t) => {
    const { server, url } = await t.listen({ receiveHighWaterMessages: 4 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const got: number[] = [];
    server.on('connection', (session) => {
      // The peer consumes nothing until released: its session pauses reading.
      session.on('message', async (data) => {
        await gate;
        const bytes = data as Uint8Array;
        got.push(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0));
      });
    });
    const wss = new api.WebSocketStream(url);
    const { writable } = await within(wss.opened, 5000, 'opened');
    const writer = writable.getWriter();
    let sent = 0;
    const writing = (async () => {
      for (let i = 0; i < COUNT; i++) {
        await writer.ready;
        void writer.write(numbered(i, SIZE));
        sent++;
      }
      await writer.ready;
    })();
    let last = -1;
    for (let i = 0; i < 50 && sent !== last; i++) {
      last = sent;
      await delay(60);
    }
    assert.ok(sent < COUNT / 2, `writer.ready held the writer: ${sent} of ${COUNT} written while the peer did not read`);
    release();
    await within(writing, 20_000, 'every write');
    await until(() => got.length === COUNT, 20_000, 'every message at the peer');
    assert.deepEqual(got, Array.from({ length: COUNT }, (_, i) => i), 'in order, none lost');
    wss.close();
    await within(wss.closed, 5000, 'closed');
  });
}
