// The reconnecting client on every adapter, against real servers: a server
// stopped and restarted on the same port (queued sends arrive in order,
// online/offline in order), refused handshakes (final vs retried), a raw
// TCP peer that stops answering pings, and framewire.v1 resume against a
// small server that implements the hub's envelope and `since`.
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type net from 'node:net';
import { scenario, until, within, type AdapterFixture, type ReconnectingClientLike, type ServerLike, type SessionLike } from './fixture.js';
import { rawServer } from './raw-tcp.js';

/** Fast retries for tests; every other option is the client's default unless given. */
const FAST = { initialDelay: 20, maxDelay: 200, pingInterval: 0 };

/** Records the client's events as short strings. */
function record(client: ReconnectingClientLike): string[] {
  const events: string[] = [];
  client.on('online', (info) => void events.push(`online#${info.connection}`));
  client.on('offline', (reason) => void events.push(`offline:${reason.kind === 'close' ? String(reason.code) : reason.kind}`));
  client.on('reconnecting', () => void events.push('reconnecting'));
  client.on('close', (info) => void events.push(`close:${info.cause}`));
  client.on('error', () => {});
  return events;
}

/** Every text message each connection receives, by connection. */
function collect(server: ServerLike, into: string[][]): void {
  server.on('connection', (ws) => {
    const got: string[] = [];
    into.push(got);
    ws.on('error', () => {});
    ws.on('message', (data) => void got.push(String(data)));
  });
}

/** Drop repeated 'reconnecting' entries (how many retries a restart takes depends on timing). */
const squash = (events: string[]): string[] => events.filter((e, i) => e !== 'reconnecting' || events[i - 1] !== 'reconnecting');

export function reconnectSuite(fixture: AdapterFixture): void {
  const { api } = fixture;

  scenario(fixture, 'reconnect: a server stopped and restarted on the same port; sends queued while offline arrive in order after onOpen', async (t) => {
    const first = await t.listen();
    const got: string[][] = [];
    collect(first.server, got);
    const client = api.reconnect(`${first.url}/chat`, { ...FAST, onOpen: ({ session }: { session: SessionLike }) => void session.send('hello') });
    t.defer(() => client.close());
    const events = record(client);
    await until(() => client.online, 10_000, 'first connection');
    assert.equal(client.send('a'), true);
    await until(() => got[0]?.length === 2, 5000, 'a arrives');
    await first.server.close({ timeout: 1000 });
    await until(() => !client.online, 5000, 'offline after the server stopped');
    for (const m of ['b', 'c', 'd']) assert.equal(client.send(m), true);
    await until(() => events.filter((e) => e === 'reconnecting').length >= 2, 10_000, 'a few refused retries');
    const second = await t.listen({ port: first.port });
    collect(second.server, got);
    await until(() => client.online && got[1]?.length === 4, 15_000, 'reconnected and flushed');
    assert.deepEqual(got, [['hello', 'a'], ['hello', 'b', 'c', 'd']]);
    assert.deepEqual(squash(events), ['online#0', 'offline:1001', 'reconnecting', 'online#1']);
    client.close();
    assert.deepEqual(await within(client.closed, 5000, 'closed'), { cause: 'closed' });
    assert.deepEqual(squash(events).slice(-2), ['offline:1000', 'close:closed']);
  });

  for (const [status, retried] of [[401, false], [403, false], [404, false], [503, true], [500, true]] as const) {
    scenario(fixture, `reconnect: a handshake refused with ${status} is ${retried ? 'retried' : 'final'}`, async (t) => {
      let refuse = true;
      let attempts = 0;
      const { url } = await t.listen({
        accept: () => {
          attempts++;
          return refuse ? api.reject(status, { body: 'no' }) : api.accept();
        },
      });
      const client = api.reconnect(`${url}/`, FAST);
      t.defer(() => client.close());
      const events = record(client);
      if (!retried) {
        const info = await within(client.closed, 10_000, 'final close');
        assert.equal(info.cause, 'final');
        assert.equal((info.last?.error as { status?: number } | undefined)?.status, status);
        assert.equal(attempts, 1);
        assert.deepEqual(events, ['close:final']);
        return;
      }
      await until(() => attempts >= 3, 10_000, 'three attempts');
      assert.equal(client.state === 'waiting' || client.state === 'connecting', true);
      refuse = false;
      await until(() => client.online, 10_000, 'online once accepted');
      assert.deepEqual(squash(events), ['reconnecting', 'online#0']);
    });
  }

  scenario(fixture, 'reconnect: a peer that completes the handshake and then never answers pings is dropped (heartbeat loss) and retried', async (t) => {
    let connections = 0;
    const raw = await rawServer((socket) => {
      connections++;
      silentUpgrade(socket);
    });
    t.defer(() => raw.close());
    const client = api.reconnect(`ws://127.0.0.1:${raw.port}/`, { ...FAST, pingInterval: 100, maxMissedPongs: 2 });
    t.defer(() => client.close());
    const events = record(client);
    const offline = new Promise<{ kind: string; missed?: number }>((resolve) => client.on('offline', resolve));
    const reason = await within(offline, 10_000, 'offline by heartbeat');
    assert.deepEqual(reason, { kind: 'heartbeat', missed: 2 });
    await until(() => connections >= 2, 10_000, 'a second connection');
    assert.deepEqual(events.slice(0, 3), ['online#0', 'offline:heartbeat', 'reconnecting']);
  });

  scenario(fixture, 'reconnect: framewire.v1 resume gets exactly the missed messages with since=<last id>', async (t) => {
    const log: { id: string; data: string; binary?: true }[] = [];
    const live = new Set<SessionLike>();
    const sinces: (string | undefined)[] = [];
    let down = false; // while down, upgrades get 503 (retried): what is published then is missed
    const { server, url } = await t.listen({ protocols: ['framewire.v1'], accept: () => (down ? api.reject(503) : api.accept({ protocol: 'framewire.v1' })) });
    server.on('connection', (ws, request) => {
      const since = new URLSearchParams(request.query).get('since') ?? undefined;
      sinces.push(since);
      ws.on('error', () => {});
      ws.on('close', () => void live.delete(ws));
      const from = since === undefined ? log.length : log.findIndex((entry) => entry.id === since) + 1;
      for (const entry of log.slice(from)) ws.send(envelope(entry));
      live.add(ws);
    });
    const publish = (data: string, binary = false): void => {
      const entry = { id: `${log.length + 1}-0`, data: binary ? Buffer.from(data).toString('base64') : data, ...(binary ? { binary: true as const } : {}) };
      log.push(entry);
      for (const ws of live) ws.send(envelope(entry));
    };
    const client = api.reconnect(`${url}/topics/news?token=x`, { ...FAST, resume: 'framewire.v1' });
    t.defer(() => client.close());
    const got: unknown[] = [];
    client.on('message', (message) => void got.push(message));
    const events = record(client);
    await until(() => client.online && live.size === 1, 10_000, 'online');
    publish('m1');
    publish('m2');
    await until(() => got.length === 2, 5000, 'two live messages');
    down = true;
    for (const ws of live) ws.terminate();
    await until(() => events.includes('offline:1006') && events.includes('reconnecting'), 5000, 'offline');
    publish('m3'); // missed while offline (nobody live)
    publish('m4', true); // binary: base64 in the envelope, bytes to the application
    down = false;
    await until(() => client.online && got.length === 4, 10_000, 'resumed');
    publish('m5');
    await until(() => got.length === 5, 5000, 'live again');
    assert.deepEqual(sinces, [undefined, '2-0']);
    const expected = ['m1', 'm2', 'm3', new Uint8Array(Buffer.from('m4')), 'm5'];
    assert.deepEqual(got, expected.map((data, i) => ({ topic: 'news', id: `${i + 1}-0`, data })));
    assert.equal(client.lastId, '5-0');
  });
}

function envelope(entry: { id: string; data: string; binary?: true }): string {
  return JSON.stringify({ topic: 'news', ...entry });
}

/** Answer the opening handshake (RFC 6455 §4.2.2), then read everything and answer nothing: pings go unanswered. */
function silentUpgrade(socket: net.Socket): void {
  let head = '';
  const onData = (chunk: Buffer): void => {
    head += chunk.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    socket.off('data', onData);
    socket.on('data', () => {}); // keep reading, never answer
    const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  };
  socket.on('data', onData);
}
