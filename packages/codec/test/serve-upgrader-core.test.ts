// The decisions the Deno.serve and Bun.serve upgraders share: RFC 6455 §4.2.1
// checks on the runtime's request, path filter, limits, the accept hook under
// its deadline (an injected clock), refusals as data, registry and shutdown.
import { describe, expect, it, vi } from 'vitest';
import { accept, reject } from '../src/session/upgrade-server.js';
import {
  ServeUpgraderCore,
  heartbeatSilence,
  isWebSocketUpgrade,
  refusalOf,
  requestHeadBytes,
  serveSocketSettings,
  type ServeCoreSocket,
  type ServeRequestHead,
  type ServeUpgraderCoreOptions,
  type ServeVerdict,
} from '../src/adapter/serve-upgrader-core.js';
import type { CloseInfo } from '../src/session/session.js';
import { ManualClock } from '../src/testing/manual-clock.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function head(target = '/chat', extra: [string, string][] = []): ServeRequestHead {
  return {
    method: 'GET',
    target,
    headers: [
      ['host', 'example.com'],
      ['upgrade', 'websocket'],
      ['connection', 'Upgrade'],
      ['sec-websocket-key', KEY],
      ['sec-websocket-version', '13'],
      ...extra,
    ],
  };
}

const PEER = { remoteAddress: '127.0.0.1', remotePort: 4242 };

class FakeSocket implements ServeCoreSocket {
  messagesReceived = 2;
  messagesSent = 3;
  bytesReceived = 20;
  bytesSent = 30;
  closeInfo: CloseInfo | undefined;
  readonly closed: Promise<CloseInfo>;
  goingAwayReasons: string[] = [];
  terminated = false;
  #resolve!: (info: CloseInfo) => void;

  constructor(readonly answersGoingAway: boolean) {
    this.closed = new Promise((resolve) => (this.#resolve = resolve));
  }

  finish(info: CloseInfo): void {
    if (this.closeInfo !== undefined) return;
    this.closeInfo = info;
    this.#resolve(info);
  }

  goingAway(reason: string): void {
    this.goingAwayReasons.push(reason);
    if (this.answersGoingAway) this.finish({ code: 1001, reason, wasClean: true });
  }

  terminate(): void {
    this.terminated = true;
    this.finish({ code: 1006, reason: '', wasClean: false });
  }
}

function makeCore(options: ServeUpgraderCoreOptions<string> = {}) {
  const clock = new ManualClock();
  const events = { rejected: [] as [number, string][], closes: 0 };
  const core = new ServeUpgraderCore<FakeSocket, string>(options, clock, {
    rejected: (status, reason) => events.rejected.push([status, reason]),
    close: () => events.closes++,
  });
  return { core, clock, events };
}

function refusal<P>(verdict: ServeVerdict<P>) {
  if (verdict.type !== 'refuse') throw new Error(`expected a refusal, got ${verdict.type}`);
  return verdict.refusal;
}

const headerOf = (headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined =>
  headers.find(([key]) => key.toLowerCase() === name)?.[1];

describe('ServeUpgraderCore.decide', () => {
  it('accepts a valid request with its path parameters, peer and the hook context', async () => {
    const seen: string[] = [];
    const { core, events } = makeCore({
      path: '/rooms/:id',
      accept: (request, context) => {
        seen.push(`${context} ${request.params.id}`);
        return accept({ data: { user: 7 } });
      },
    });
    const verdict = await core.decide(head('/rooms/42?x=1'), 'ctx', () => PEER);
    expect(verdict.type).toBe('accept');
    if (verdict.type !== 'accept') return;
    expect(verdict.request.params).toEqual({ id: '42' });
    expect(verdict.request.remoteAddress).toBe('127.0.0.1');
    expect(verdict.request.remotePort).toBe(4242);
    expect(verdict.request.query).toBe('x=1');
    expect(Object.isFrozen(verdict.request)).toBe(true);
    expect(verdict.decision.data).toEqual({ user: 7 });
    expect(seen).toEqual(['ctx 42']);
    expect(events.rejected).toEqual([]);
    expect(core.pending).toBe(0);
  });

  it("refuses what the codec's handshake refuses, with its status and headers (426 names version 13)", async () => {
    const { core, events } = makeCore();
    const bad = head('/', []);
    const verdict = await core.decide({ ...bad, headers: [...bad.headers].filter(([name]) => name !== 'sec-websocket-version').concat([['sec-websocket-version', '8']]) }, '', () => PEER);
    const answer = refusal(verdict);
    expect(answer.status).toBe(426);
    expect(headerOf(answer.headers, 'sec-websocket-version')).toBe('13');
    expect(headerOf(answer.headers, 'content-length')).toBeUndefined();
    expect(headerOf(answer.headers, 'connection')).toBeUndefined();
    expect(events.rejected.map(([status]) => status)).toEqual([426]);
    expect(core.metrics().handshakesRefused).toEqual([expect.objectContaining({ status: 426, count: 1 })]);
  });

  it('refuses a POST with 405 and a request without a key with 400', async () => {
    const { core } = makeCore();
    expect(refusal(await core.decide({ ...head(), method: 'POST' }, '', () => PEER)).status).toBe(405);
    const noKey = { ...head(), headers: [...head().headers].filter(([name]) => name !== 'sec-websocket-key') };
    expect(refusal(await core.decide(noKey, '', () => PEER)).status).toBe(400);
  });

  it('answers 431 past maxHeaderBytes', async () => {
    const { core } = makeCore({ maxHeaderBytes: 256 });
    const verdict = await core.decide(head('/', [['x-big', 'a'.repeat(400)]]), '', () => PEER);
    expect(refusal(verdict).status).toBe(431);
  });

  it('answers 404 for another path without asking for the peer', async () => {
    const { core, events } = makeCore({ path: ['/a', '/b/*'] });
    const peer = vi.fn(() => PEER);
    expect(refusal(await core.decide(head('/c'), '', peer)).status).toBe(404);
    expect(peer).not.toHaveBeenCalled();
    expect(events.rejected).toEqual([[404, 'no server for this path']]);
    expect(core.matches('/b/x')).toBe(true);
    expect(core.matches('/c')).toBe(false);
  });

  it('answers 503 with Retry-After when full, counting sockets still opening', async () => {
    const { core } = makeCore({ maxConnections: 2 });
    core.register(new FakeSocket(true));
    const full = refusal(await core.decide(head(), '', () => PEER, 1));
    expect(full.status).toBe(503);
    expect(headerOf(full.headers, 'retry-after')).toBe('5');
    expect((await core.decide(head(), '', () => PEER, 0)).type).toBe('accept');
  });

  it('answers 500 when the hook throws or rejects, and passes its own refusal through', async () => {
    const throwing = makeCore({
      accept: () => {
        throw new Error('boom');
      },
    });
    expect(refusal(await throwing.core.decide(head(), '', () => PEER)).status).toBe(500);
    expect(throwing.core.pending).toBe(0);
    const rejecting = makeCore({ accept: () => Promise.reject(new Error('boom')) });
    expect(refusal(await rejecting.core.decide(head(), '', () => PEER)).status).toBe(500);
    const refusing = makeCore({ accept: () => reject(401, { headers: { 'WWW-Authenticate': 'Bearer' }, body: 'no token' }) });
    const answer = refusal(await refusing.core.decide(head(), '', () => PEER));
    expect(answer.status).toBe(401);
    expect(headerOf(answer.headers, 'www-authenticate')).toBe('Bearer');
    expect(new TextDecoder().decode(answer.body as Uint8Array)).toBe('no token');
    expect(refusing.events.rejected).toEqual([[401, 'refused by the accept hook']]);
  });

  it('answers 503 when the hook does not decide within handshakeTimeout (on the injected clock)', async () => {
    const { core, clock } = makeCore({ handshakeTimeout: 1000, accept: () => new Promise(() => {}) });
    const verdict = core.decide(head(), '', () => PEER);
    await Promise.resolve();
    expect(core.pending).toBe(1);
    clock.advance(999);
    await Promise.resolve();
    expect(core.pending).toBe(1);
    clock.advance(1);
    const answer = refusal(await verdict);
    expect(answer.status).toBe(503);
    expect(core.pending).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a hook that decides in time leaves no timer armed', async () => {
    const { core, clock } = makeCore({ accept: async () => accept() });
    expect((await core.decide(head(), '', () => PEER)).type).toBe('accept');
    expect(clock.pendingTimers).toBe(0);
  });

  it('chooses the subprotocol by list or by function, none when none was offered', async () => {
    const byList = makeCore({ protocols: ['b', 'a'] }).core;
    const accepted = await byList.decide(head('/', [['sec-websocket-protocol', 'a, b']]), '', () => PEER);
    if (accepted.type !== 'accept') throw new Error('refused');
    expect(byList.chooseProtocol(accepted.request)).toBe('b');
    const plain = await byList.decide(head(), '', () => PEER);
    if (plain.type !== 'accept') throw new Error('refused');
    expect(byList.chooseProtocol(plain.request)).toBeUndefined();
    const byFunction = makeCore({ protocols: (offered) => offered.at(-1) }).core;
    expect(byFunction.chooseProtocol(accepted.request)).toBe('b');
  });
});

describe('ServeUpgraderCore registry and close', () => {
  it('counts registered sockets and folds their counters in when they close', async () => {
    const { core } = makeCore();
    const a = new FakeSocket(true);
    const b = new FakeSocket(true);
    core.register(a);
    core.register(b);
    core.published(4);
    expect(core.metrics()).toMatchObject({ connections: 2, connectionsTotal: 2, messagesIn: 4, messagesOut: 10, bytesIn: 40, bytesOut: 60 });
    a.finish({ code: 1000, reason: '', wasClean: true });
    await a.closed;
    await Promise.resolve();
    expect(core.clients.has(a)).toBe(false);
    expect(core.metrics()).toMatchObject({ connections: 1, connectionsTotal: 2, messagesIn: 4, messagesOut: 10, closeCodes: [{ code: 1000, count: 1 }] });
    expect(core.metrics(3).handshakesPending).toBe(3);
  });

  it('close sends 1001, waits for the handshakes, drops the rest after the timeout, then refuses with 503', async () => {
    const { core, clock, events } = makeCore();
    const polite = new FakeSocket(true);
    const silent = new FakeSocket(false);
    core.register(polite);
    core.register(silent);
    const closing = core.close({ timeout: 100, reason: 'bye' });
    expect(core.close()).toBe(closing);
    expect(polite.goingAwayReasons).toEqual(['bye']);
    expect(silent.goingAwayReasons).toEqual(['bye']);
    await Promise.resolve();
    expect(events.closes).toBe(0);
    clock.advance(100);
    await closing;
    expect(silent.terminated).toBe(true);
    expect(polite.terminated).toBe(false);
    expect(events.closes).toBe(1);
    expect(clock.pendingTimers).toBe(0);
    const late = refusal(await core.decide(head(), '', () => PEER));
    expect(late.status).toBe(503);
    expect(headerOf(late.headers, 'retry-after')).toBe('5');
    expect(events.rejected.at(-1)).toEqual([503, 'server closing']);
  });

  it('close with no socket finishes without waiting for the clock', async () => {
    const { core, events } = makeCore();
    await core.close();
    expect(events.closes).toBe(1);
  });
});

describe('serve helpers', () => {
  it('requestHeadBytes writes an HTTP/1.1 head, one byte per Latin-1 character', () => {
    const bytes = requestHeadBytes({ method: 'GET', target: '/a?b', headers: [['x', 'caf\u00e9']] });
    expect([...bytes]).toEqual([...new TextEncoder().encode('GET /a?b HTTP/1.1\r\nx: caf'), 0xe9, 13, 10, 13, 10]);
  });

  it('refusalOf keeps status, text, headers and body, and answers 500 for bytes that are no response', () => {
    const parsed = refusalOf(new TextEncoder().encode('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nConnection: close\r\nX-A: 1\r\n\r\nno'));
    expect(parsed.status).toBe(403);
    expect(parsed.statusText).toBe('Forbidden');
    expect(parsed.headers).toEqual([['X-A', '1']]);
    expect(new TextDecoder().decode(parsed.body as Uint8Array)).toBe('no');
    expect(refusalOf(new Uint8Array([1, 2, 3]))).toMatchObject({ status: 500, body: 'Internal Server Error' });
  });

  it('isWebSocketUpgrade finds the token in any case and inside lists', () => {
    expect(isWebSocketUpgrade('websocket')).toBe(true);
    expect(isWebSocketUpgrade('h2c, WebSocket ')).toBe(true);
    expect(isWebSocketUpgrade('websockets')).toBe(false);
    expect(isWebSocketUpgrade(null)).toBe(false);
    expect(isWebSocketUpgrade(undefined)).toBe(false);
  });

  it('heartbeatSilence is interval + timeout, 0 when off', () => {
    expect(heartbeatSilence({ interval: 30_000, timeout: 60_000 })).toBe(90_000);
    expect(heartbeatSilence({ interval: 1000, timeout: -5 })).toBe(1000);
    expect(heartbeatSilence({ interval: 0, timeout: 5 })).toBe(0);
    expect(heartbeatSilence(false)).toBe(0);
  });

  it('serveSocketSettings fills the documented defaults and keeps what was given', () => {
    const onListenerError = (): void => {};
    expect(serveSocketSettings({})).toEqual({
      highWaterMark: 1024 * 1024,
      maxBufferedAmount: 16 * 1024 * 1024,
      closeTimeout: 5000,
      binaryType: 'uint8array',
      onListenerError: undefined,
    });
    expect(serveSocketSettings({ highWaterMark: 1, maxBufferedAmount: 2, closeTimeout: 3, binaryType: 'arraybuffer', onListenerError })).toEqual({
      highWaterMark: 1,
      maxBufferedAmount: 2,
      closeTimeout: 3,
      binaryType: 'arraybuffer',
      onListenerError,
    });
  });
});
