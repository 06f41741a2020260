// The reconnecting client on a manual clock with in-memory connections:
// the retry table, backoff bounds, heartbeat loss, the offline queue, the
// onOpen hook, close() during backoff and framewire.v1 resume.
import { describe, expect, it } from 'vitest';
import { ReconnectingClient } from '../src/adapter/reconnecting-client.js';
import { isRetried, type OfflineReason } from '../src/adapter/reconnect-policy.js';
import type { HubMessage } from '../src/adapter/reconnect-resume.js';
import { ConnectError, HandshakeStatusError } from '../src/session/connect-errors.js';
import { UsageError } from '../src/protocol/errors.js';
import { toBase64 } from '../src/protocol/base64.js';
import { harness } from './reconnect-helpers.js';
import { settle } from './session-helpers.js';

const refused = (): ConnectError => new ConnectError('FW_ERR_CONNECTION_FAILED', 'ECONNREFUSED');
const status = (code: number, headers: Record<string, string> = {}): HandshakeStatusError =>
  new HandshakeStatusError(code, headers, new Uint8Array(), `HTTP ${code}`);
const connectFailure = (error: Error): OfflineReason => ({ kind: 'connect-error', error });
const closed = (code: number): OfflineReason => ({ kind: 'close', code, reason: '', wasClean: true });

describe('retry table', () => {
  it.each([
    ['FW_ERR_CONNECTION_FAILED', true],
    ['FW_ERR_CONNECTION_CLOSED', true],
    ['FW_ERR_HANDSHAKE_TIMEOUT', true],
    ['FW_ERR_PROXY', true],
    ['FW_ERR_HANDSHAKE_INVALID', false],
    ['FW_ERR_TLS', false],
    ['FW_ERR_INVALID_URL', false],
    ['FW_ERR_TOO_MANY_REDIRECTS', false],
    ['FW_ERR_ABORTED', false],
  ] as const)('connect error %s → retried %s', (code, retried) => {
    expect(isRetried(connectFailure(new ConnectError(code, code)))).toBe(retried);
  });

  it.each([
    [500, true], [502, true], [503, true], [504, true], [408, true], [425, true], [429, true],
    [400, false], [401, false], [403, false], [404, false], [410, false], [426, false], [302, false],
  ])('handshake status %i → retried %s', (code, retried) => {
    expect(isRetried(connectFailure(status(code)))).toBe(retried);
  });

  it.each([
    [1001, true], [1005, true], [1006, true], [1011, true], [1012, true], [1013, true], [1014, true],
    [1000, false], [1002, false], [1003, false], [1007, false], [1008, false], [1009, false], [1010, false], [3000, false], [4001, false],
  ])('close %i → retried %s', (code, retried) => {
    expect(isRetried(closed(code))).toBe(retried);
  });

  it('retries heartbeat loss; any other error is final', () => {
    expect(isRetried({ kind: 'heartbeat', missed: 2 })).toBe(true);
    expect(isRetried(connectFailure(new Error('boom')))).toBe(false);
    expect(isRetried(connectFailure(new UsageError('FW_ERR_INVALID_ARGUMENT', 'bad header')))).toBe(false);
  });
});

describe('ReconnectingClient', () => {
  it('retries a refused connect and a 503, goes online, and a 401 is final', async () => {
    const h = await harness([refused(), status(503)], { random: () => 0.5, initialDelay: 100 });
    expect(h.client.state).toBe('waiting');
    await h.advance(100);
    expect(h.events).toEqual(['error', 'reconnecting#1', 'error', 'reconnecting#2']);
    await h.advance(200);
    expect(h.client.online).toBe(true);
    expect(h.events.at(-1)).toBe('online#0');

    const final = await harness([status(401)]);
    expect(final.events).toEqual(['error', 'close:final']);
    const info = await final.client.closed;
    expect(info.last?.kind === 'connect-error' && (info.last.error as HandshakeStatusError).status).toBe(401);
    expect(final.clock.pendingTimers).toBe(0);
  });

  it('a Retry-After on a 503 lengthens the delay, capped by maxDelay', async () => {
    const h = await harness([status(503, { 'retry-after': '7' }), status(503, { 'retry-after': '600' })], { random: () => 0, maxDelay: 60_000 });
    const delays: number[] = [];
    h.client.on('reconnecting', (info) => delays.push(info.delay));
    await h.advance(7000);
    expect(delays).toEqual([60_000]); // the first was emitted before this listener: 7000, then capped 600 s → 60 s
    h.client.close();
  });

  it('reconnects after 1001 and 1006 from the server; 1000 and 1008 from the server are final', async () => {
    for (const [code, retried] of [[1001, true], [1011, true], [1000, false], [1008, false]] as const) {
      const h = await harness([], { random: () => 0 });
      h.servers[0]!.closeWithLibraryCode(code, 'bye');
      await settle();
      expect(h.events.slice(0, 3)).toEqual(['online#0', `offline:${code}`, retried ? 'reconnecting#1' : 'close:final']);
      if (retried) {
        await h.advance(0);
        expect(h.events.at(-1)).toBe('online#1');
        h.client.close();
      }
    }
    const h = await harness([], { random: () => 0 });
    h.servers[0]!.terminate(); // an abrupt end: 1006
    await settle();
    await h.advance(0);
    expect(h.events).toEqual(['online#0', 'offline:1006', 'reconnecting#1', 'online#1']);
    h.client.close();
  });

  it('offline listeners already see the client offline, and a send there is queued', async () => {
    const h = await harness([], { random: () => 0 });
    const seen: unknown[] = [];
    // Only the first offline: close() below ends online again, and send() after close() throws by design.
    h.client.once('offline', () => seen.push(h.client.online, h.client.state, h.client.send('from offline'), h.client.queuedMessages));
    h.servers[0]!.terminate();
    await settle();
    expect(seen).toEqual([false, 'waiting', true, 1]);
    await h.advance(0);
    await settle();
    expect(h.received[1]).toEqual(['from offline']);
    h.client.close();
  });

  it('gives up after maxAttempts retries in a row', async () => {
    const h = await harness([refused(), refused(), refused(), refused()], { maxAttempts: 2, random: () => 0 });
    await h.advance(0);
    await h.advance(0);
    expect(h.events.filter((e) => e !== 'error')).toEqual(['reconnecting#1', 'reconnecting#2', 'close:attempts-exhausted']);
    expect(h.urls).toHaveLength(3);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('shouldReconnect overrides the table', async () => {
    const h = await harness([status(401)], { shouldReconnect: (_reason, retried) => !retried, random: () => 0 });
    await h.advance(0);
    expect(h.client.online).toBe(true);
    h.client.close();
  });

  it('close() during backoff stops everything and leaves no timer; send() then throws', async () => {
    const h = await harness([refused()], { initialDelay: 10_000, random: () => 0.9 });
    expect(h.client.state).toBe('waiting');
    expect(h.clock.pendingTimers).toBe(1);
    h.client.close();
    expect(h.client.state).toBe('closed');
    expect(h.clock.pendingTimers).toBe(0);
    await h.advance(60_000);
    expect(h.urls).toHaveLength(1);
    expect(h.events).toEqual(['error', 'reconnecting#1', 'close:closed']);
    expect(() => h.client.send('x')).toThrow(UsageError);
  });

  it('close() while online closes the session with the code, then offline and close; no timer left', async () => {
    const h = await harness([], { pingInterval: 1000 });
    expect(h.clock.pendingTimers).toBeGreaterThan(0);
    h.client.close(4000, 'done');
    await settle();
    await h.advance(0);
    expect(h.events).toEqual(['online#0', 'offline:4000', 'close:closed']);
    expect(await h.client.closed).toEqual({ cause: 'closed' });
    await h.advance(10_000); // the sessions' own close timers run out
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('queues sends while offline, runs onOpen first, then flushes in order', async () => {
    const order: string[] = [];
    const h = await harness([refused()], {
      random: () => 0,
      onOpen: async ({ session, connection }) => {
        await settle(1);
        order.push(`hook#${connection}`);
        session.send(`subscribe#${connection}`);
      },
    });
    expect(h.client.send('one')).toBe(true);
    expect(h.client.send(new Uint8Array([1, 2, 3]))).toBe(true);
    expect(h.client.send('three')).toBe(true);
    expect(h.client.queuedMessages).toBe(3);
    expect(h.client.queuedBytes).toBe(11);
    await h.advance(0);
    await settle();
    expect(h.received[0]).toEqual(['subscribe#0', 'one', 'bytes:3', 'three']);
    expect(h.client.queuedMessages).toBe(0);
    h.client.send('live');
    await settle();
    h.servers[0]!.terminate();
    await settle();
    h.client.send('while offline');
    await settle();
    await h.advance(0);
    await settle();
    expect(h.received[0]).toEqual(['subscribe#0', 'one', 'bytes:3', 'three', 'live']);
    expect(h.received[1]).toEqual(['subscribe#1', 'while offline']);
    expect(order).toEqual(['hook#0', 'hook#1']);
    h.client.close();
  });

  it('the offline queue is bounded in messages and in bytes: past the bound send() returns false and keeps nothing', async () => {
    const h = await harness([refused()], { maxQueuedMessages: 3, maxQueuedBytes: 10, initialDelay: 1000, random: () => 0.5 });
    expect(h.client.send('aaaa')).toBe(true);
    expect(h.client.send('bbbbbbb')).toBe(false); // 4 + 7 > 10 bytes
    expect(h.client.send('é')).toBe(true); // 2 UTF-8 bytes
    expect(h.client.send('c')).toBe(true);
    expect(h.client.send('d')).toBe(false); // a fourth message
    expect(h.client.queuedMessages).toBe(3);
    expect(h.client.queuedBytes).toBe(7);
    await h.advance(500);
    await settle();
    expect(h.received[0]).toEqual(['aaaa', 'é', 'c']);
    h.client.close();
  });

  it('heartbeat loss: a peer that stops answering pings is dropped after maxMissedPongs, then the client reconnects', async () => {
    const h = await harness([], { pingInterval: 1000, maxMissedPongs: 2, random: () => 0 });
    await h.advance(1000);
    await h.advance(1000);
    expect(h.client.online).toBe(true); // pongs come back
    // The server drops every byte it gets from now on: its pongs stop.
    pauseServer(h.servers[0]!);
    await h.advance(1000); // ping, no pong
    expect(h.client.online).toBe(true);
    await h.advance(1000); // missed 1, ping
    expect(h.client.online).toBe(true);
    await h.advance(1000); // missed 2: dead
    expect(h.events).toEqual(['online#0', 'offline:heartbeat', 'reconnecting#1', 'online#1']);
    h.client.close();
  });

  it('async iterator yields messages and ends on close', async () => {
    const h = await harness([]);
    const seen: unknown[] = [];
    const done = (async () => {
      for await (const message of h.client) seen.push(message);
    })();
    h.servers[0]!.send('a');
    h.servers[0]!.send('b');
    await settle();
    h.client.close();
    await settle();
    await h.advance(0);
    await done;
    expect(seen).toEqual(['a', 'b']);
  });

  it('rejects options out of range', () => {
    const runtime = { scheduler: { now: () => 0, setTimer: () => 0, clearTimer: () => {} }, connect: () => new Promise<never>(() => {}) };
    expect(() => new ReconnectingClient('ws://x/', { factor: 0.5 }, runtime)).toThrow(UsageError);
    expect(() => new ReconnectingClient('ws://x/', { maxQueuedBytes: -1 }, runtime)).toThrow(UsageError);
    expect(() => new ReconnectingClient('ws://x/', { pingInterval: Number.NaN }, runtime)).toThrow(UsageError);
  });
});

describe('ReconnectingClient resume (framewire.v1)', () => {
  it('offers framewire.v1, decodes deliveries, and reconnects with since=<last id>', async () => {
    const h = await harness<HubMessage>([{ protocol: 'framewire.v1' }, { protocol: 'framewire.v1' }], { resume: 'framewire.v1', random: () => 0 });
    const got: HubMessage[] = [];
    h.client.on('message', (message) => got.push(message));
    const server = h.servers[0]!;
    server.send(JSON.stringify({ topic: 'news', id: '1-0', data: 'hello' }));
    server.send(JSON.stringify({ topic: 'news', id: '2-0', data: toBase64(new Uint8Array([0, 255, 7])), binary: true }));
    await settle();
    expect(got).toEqual([
      { topic: 'news', id: '1-0', data: 'hello' },
      { topic: 'news', id: '2-0', data: new Uint8Array([0, 255, 7]) },
    ]);
    expect(h.client.lastId).toBe('2-0');
    server.terminate();
    await settle();
    await h.advance(0);
    expect(h.urls).toEqual(['ws://example.test/topics/news', 'ws://example.test/topics/news?since=2-0']);
    h.client.close();
  });

  it('a numeric id is taken as its decimal text', async () => {
    const { decodeHubEnvelope } = await import('../src/adapter/reconnect-resume.js');
    expect(decodeHubEnvelope('{"topic":"t","id":42,"data":"x","extra":true}')).toEqual({ topic: 't', id: '42', data: 'x' });
    expect(() => decodeHubEnvelope('{"topic":"t","id":1.5,"data":"x"}')).toThrow('needs string');
  });

  it('a server that does not choose framewire.v1 is a final failure', async () => {
    const h = await harness([{}], { resume: 'framewire.v1' });
    await settle();
    expect(h.events).toEqual(['error', 'close:final']);
  });

  it('a malformed delivery closes with 1007 and ends the client', async () => {
    const h = await harness([{ protocol: 'framewire.v1' }], { resume: 'framewire.v1' });
    const codes: number[] = [];
    h.servers[0]!.on('close', (info) => codes.push(info.code));
    h.servers[0]!.send('{"topic":"news"}');
    await settle();
    await h.advance(0);
    expect(codes).toEqual([1007]);
    expect(h.events).toEqual(['online#0', 'error', 'offline:1007', 'close:final']);
  });
});

/** Stop a server session from reading (its transport end is paused): pings go unanswered. */
function pauseServer(server: { receive(chunk: Uint8Array): void }): void {
  server.receive = () => {}; // bytes in are dropped: no pong is ever queued
}
