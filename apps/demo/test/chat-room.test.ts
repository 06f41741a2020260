// The chat room and the echo endpoint on real codec sessions joined by the
// codec's in-memory transport (no network): the online count after a
// departure, broadcasts, bad input's close codes, the wire report.
import { Connection, Session, type UpgradeRequest } from '@framewire/codec/adapter';
import { createMemoryTransportPair } from '@framewire/codec/testing';
import { describe, expect, it } from 'vitest';
import { CLOSE_BINARY, CLOSE_NOT_CHAT, ChatRoom } from '../src/chat-room.js';
import { EchoEndpoint } from '../src/echo-endpoint.js';

/** A page's side and the server's side of one connection. */
function pair(): { page: Session; server: Session; received: unknown[] } {
  const [pageEnd, serverEnd] = createMemoryTransportPair();
  const scheduler = { now: () => performance.now(), setTimer: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimer: (t: unknown) => clearTimeout(t as ReturnType<typeof setTimeout>) };
  const page = new Session({ connection: new Connection({ role: 'client', now: scheduler.now }), transport: pageEnd, scheduler });
  const server = new Session({ connection: new Connection({ role: 'server', now: scheduler.now }), transport: serverEnd, scheduler });
  pageEnd.attach(page);
  serverEnd.attach(server);
  const received: unknown[] = [];
  page.on('message', (data) => received.push(data));
  return { page, server, received };
}

/** The page's text messages as JSON. */
const json = (received: unknown[]): unknown[] => received.map((m) => JSON.parse(String(m)));
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('ChatRoom', () => {
  it('counts members right after a departure and broadcasts to everyone', async () => {
    const room = new ChatRoom(() => {});
    const a = pair();
    const b = pair();
    room.join(a.server);
    room.join(b.server);
    await settle();
    expect(room.online).toBe(2);
    a.page.send(JSON.stringify({ name: 'a', text: 'hello' }));
    await settle();
    expect(json(b.received)).toContainEqual({ type: 'chat', name: 'a', text: 'hello' });
    expect(json(a.received)).toContainEqual({ type: 'chat', name: 'a', text: 'hello' });
    b.page.close(1000);
    await b.server.closed;
    await settle();
    expect(room.online).toBe(1);
    expect(json(a.received).at(-1)).toEqual({ type: 'presence', online: 1 });
    a.page.terminate();
  });

  it('closes a member that sends binary with 4003 and one that sends non-JSON with 4008', async () => {
    const room = new ChatRoom(() => {});
    const binary = pair();
    const garbage = pair();
    room.join(binary.server);
    room.join(garbage.server);
    binary.page.send(new Uint8Array([1, 2]));
    garbage.page.send('not json');
    expect(await binary.page.closed).toMatchObject({ code: CLOSE_BINARY, reason: 'chat messages are JSON text' });
    expect((await garbage.page.closed).code).toBe(CLOSE_NOT_CHAT);
    await settle();
    expect(room.online).toBe(0);
  });
});

describe('EchoEndpoint', () => {
  it('echoes with the type and reports the wire bytes under the page-chosen id', async () => {
    const echo = new EchoEndpoint(() => {});
    const { page, server, received } = pair();
    const request = { path: '/echo', query: 'id=abc', queryParams: [['id', 'abc']] } as unknown as UpgradeRequest;
    echo.serve(server, request);
    page.send(new Uint8Array([7, 8, 9]));
    page.send('text');
    await settle();
    expect(received).toEqual([new Uint8Array([7, 8, 9]), 'text']);
    // Unmasked frames back: 2-byte headers; masked from the page: 6-byte headers.
    expect(echo.report('abc')).toEqual({ bytesReceived: 6 + 3 + 6 + 4, bytesSent: 2 + 3 + 2 + 4, messages: 2, payloadBytes: 7, extensions: '' });
    page.close(1000);
    await server.closed;
    expect(echo.report('abc')).toBeUndefined();
  });
});
