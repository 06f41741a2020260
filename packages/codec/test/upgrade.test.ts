import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import { permessageDeflate } from '../src/protocol/deflate-extension.js';
import { HandshakeError } from '../src/protocol/handshake-error.js';
import { acceptUpgrade, ServerHandshake } from '../src/protocol/handshake-server.js';
import { ServerRegistry } from '../src/session/server-registry.js';
import type { Session } from '../src/session/session.js';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { createMemoryTransportPair, type MemoryTransportOptions } from '../src/testing/memory-transport.js';
import { concatBytes } from '../src/protocol/bytes.js';
import { connectWebSocket, HandshakeTimeoutError, type ClientUpgradeOptions } from '../src/session/upgrade-client.js';
import {
  accept,
  acceptWebSocket,
  allOf,
  allowOrigins,
  bearerToken,
  reject,
  type ServerUpgradeOptions,
} from '../src/session/upgrade-server.js';
import { seededRandom, settle } from './session-helpers.js';

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Setup {
  clock: ManualClock;
  server?: Partial<ServerUpgradeOptions>;
  client?: Partial<ClientUpgradeOptions>;
  transport?: MemoryTransportOptions;
}

function connect(setup: Setup) {
  const { clock } = setup;
  const [clientEnd, serverEnd] = createMemoryTransportPair(setup.transport ?? {});
  const serverUpgrade = acceptWebSocket(serverEnd, { scheduler: clock, ...setup.server });
  serverEnd.attach(serverUpgrade);
  const clientUpgrade = connectWebSocket(clientEnd, {
    scheduler: clock,
    url: 'ws://example.test/chat?room=1',
    connection: { random: seededRandom(3) },
    ...setup.client,
  });
  clientEnd.attach(clientUpgrade);
  return { clientEnd, serverEnd, serverUpgrade, clientUpgrade };
}

/** A masked client text frame, as a real client Connection encodes it. */
function clientFrame(message: string): Uint8Array {
  const c = new Connection({ role: 'client', now: () => 0, random: seededRandom(9) });
  c.sendText(message);
  return concatBytes(c.takeOutput());
}

function rawRequest(extra = ''): string {
  return (
    'GET /raw HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
    extra +
    '\r\n'
  );
}

describe('upgrade: server and client drivers over a memory transport', () => {
  it('upgrades, negotiates a subprotocol by server preference and carries messages', async () => {
    const clock = new ManualClock();
    const { serverUpgrade, clientUpgrade } = connect({
      clock,
      server: { protocols: ['b', 'a'] },
      client: { protocols: ['a', 'b'] },
      transport: { maxChunkSize: 7 },
    });
    const client = await clientUpgrade.session;
    const result = await serverUpgrade.result;
    expect(result.type).toBe('accepted');
    if (result.type !== 'accepted') return;
    expect(result.request.path).toBe('/chat');
    expect(result.request.queryParams).toEqual([['room', '1']]);
    expect(result.session.protocol).toBe('b');
    expect(client.protocol).toBe('b');
    expect(clientUpgrade.response?.status).toBe(101);
    const server = result.session;
    server.on('message', (m, isBinary) => server.send(m, { binary: isBinary }));
    const got: SessionMessage[] = [];
    client.on('message', (m) => got.push(m));
    client.send('hello');
    client.send(Uint8Array.of(1, 2, 3));
    await settle();
    expect(got).toEqual(['hello', Uint8Array.of(1, 2, 3)]);
    client.close(1000);
    expect((await server.closed).wasClean).toBe(true);
  });

  it('keeps the frames that follow the request in the same read, even while an async hook decides', async () => {
    const clock = new ManualClock();
    const [clientEnd, serverEnd] = createMemoryTransportPair();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const upgrade = acceptWebSocket(serverEnd, {
      scheduler: clock,
      accept: async () => {
        await gate;
        return accept();
      },
    });
    serverEnd.attach(upgrade);
    const fromServer: Uint8Array[] = [];
    clientEnd.attach({ receive: (c) => fromServer.push(c.slice()), receiveEof: () => {}, drain: () => {} });
    clientEnd.write([latin1(rawRequest()), clientFrame('early one')]);
    await settle();
    clientEnd.write([clientFrame('while deciding')]);
    await settle();
    expect(serverEnd.paused).toBe(true);
    release();
    const result = await upgrade.result;
    if (result.type !== 'accepted') throw new Error(result.type);
    const got: SessionMessage[] = [];
    result.session.on('message', (m) => got.push(m));
    clientEnd.write([clientFrame('after')]);
    await settle();
    expect(got).toEqual(['early one', 'while deciding', 'after']);
    expect(serverEnd.paused).toBe(false);
    expect(text(concatBytes(fromServer))).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(text(concatBytes(fromServer))).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
  });

  it('keeps bytes a transport delivers after pause() while the hook decides', async () => {
    const clock = new ManualClock();
    const written: Uint8Array[] = [];
    let pauses = 0;
    // A socket that still hands over a read already in flight after pause().
    const transport = {
      write: (chunks: readonly Uint8Array[]) => (written.push(...chunks), true),
      end: () => {},
      destroy: () => {},
      pause: () => void pauses++,
      resume: () => {},
    };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const upgrade = acceptWebSocket(transport, { scheduler: clock, accept: () => gate.then(() => accept()) });
    upgrade.receive(latin1(rawRequest()));
    expect(pauses).toBe(1);
    upgrade.receive(clientFrame('in flight'));
    release();
    const result = await upgrade.result;
    if (result.type !== 'accepted') throw new Error(result.type);
    const got: SessionMessage[] = [];
    result.session.on('message', (m) => got.push(m));
    await settle();
    expect(got).toEqual(['in flight']);
  });

  it('the client keeps frames that follow the 101 in the same read', async () => {
    const clock = new ManualClock();
    const [clientEnd, serverEnd] = createMemoryTransportPair();
    const hs = new ServerHandshake();
    const server = new Connection({ role: 'server', now: () => 0 });
    server.sendText('welcome');
    serverEnd.attach({
      receive: (chunk) => {
        const r = hs.receive(chunk);
        if (r.type === 'request') serverEnd.write([concatBytes([acceptUpgrade(r.request), ...server.takeOutput()])]);
      },
      receiveEof: () => {},
      drain: () => {},
    });
    const upgrade = connectWebSocket(clientEnd, { scheduler: clock, url: 'ws://example.test/' });
    clientEnd.attach(upgrade);
    const session = await upgrade.session;
    const got: SessionMessage[] = [];
    for await (const m of session) {
      got.push(m);
      break;
    }
    expect(got).toEqual(['welcome']);
  });

  it('refuses a disallowed origin with 403; the client sees the status', async () => {
    const clock = new ManualClock();
    const { serverUpgrade, clientUpgrade, serverEnd } = connect({
      clock,
      server: { accept: allowOrigins(['https://app.example']) },
      client: { origin: 'https://evil.example' },
    });
    const error = await clientUpgrade.session.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as HandshakeError).status).toBe(403);
    const result = await serverUpgrade.result;
    expect(result).toMatchObject({ type: 'rejected', status: 403 });
    expect(serverEnd.ended).toBe(true);
  });

  it('lets an allowed origin in', async () => {
    const clock = new ManualClock();
    const { serverUpgrade, clientUpgrade } = connect({
      clock,
      server: { accept: allowOrigins(['https://app.example']) },
      client: { origin: 'https://APP.example' },
    });
    await clientUpgrade.session;
    expect((await serverUpgrade.result).type).toBe('accepted');
  });

  it('bearer tokens: header or query parameter, 401 with WWW-Authenticate otherwise', async () => {
    const clock = new ManualClock();
    const hook = allOf(allowOrigins(['https://app.example'], { allowMissing: true }), bearerToken((t) => t === 's3cret', { queryParam: 'token' }));
    const viaHeader = connect({ clock, server: { accept: hook }, client: { headers: { Authorization: 'Bearer s3cret' } } });
    await viaHeader.clientUpgrade.session;
    const viaQuery = connect({ clock, server: { accept: hook }, client: { url: 'ws://example.test/?token=s3cret' } });
    await viaQuery.clientUpgrade.session;
    const wrong = connect({ clock, server: { accept: hook }, client: { headers: { Authorization: 'Bearer nope' } } });
    const error = (await wrong.clientUpgrade.session.catch((e: unknown) => e)) as HandshakeError;
    expect(error.status).toBe(401);
    expect(error.headers?.get('www-authenticate')).toBe('Bearer');
    expect((await wrong.serverUpgrade.result).type).toBe('rejected');
  });

  it('a hook may reject with its own status, headers and body', async () => {
    const clock = new ManualClock();
    const { clientUpgrade } = connect({
      clock,
      server: { accept: () => reject({ status: 409, headers: { 'X-Why': 'busy' }, body: 'try later' }) },
    });
    const error = (await clientUpgrade.session.catch((e: unknown) => e)) as HandshakeError;
    expect(error.status).toBe(409);
    expect(error.headers?.get('x-why')).toBe('busy');
    expect(text(error.body)).toBe('try later');
  });

  it('a hook that throws refuses with 500', async () => {
    const clock = new ManualClock();
    const { serverUpgrade, clientUpgrade } = connect({
      clock,
      server: {
        accept: () => {
          throw new Error('db down');
        },
      },
    });
    expect(((await clientUpgrade.session.catch((e: unknown) => e)) as HandshakeError).status).toBe(500);
    const result = await serverUpgrade.result;
    expect(result).toMatchObject({ type: 'rejected', status: 500 });
    expect(result.type === 'rejected' && (result.error as Error).message).toBe('db down');
  });

  it('answers an unsupported version with 426 and Sec-WebSocket-Version: 13', async () => {
    const clock = new ManualClock();
    const [clientEnd, serverEnd] = createMemoryTransportPair();
    const upgrade = acceptWebSocket(serverEnd, { scheduler: clock });
    serverEnd.attach(upgrade);
    const reply: Uint8Array[] = [];
    clientEnd.attach({ receive: (c) => reply.push(c.slice()), receiveEof: () => {}, drain: () => {} });
    clientEnd.write([latin1(rawRequest().replace('Version: 13', 'Version: 12'))]);
    expect(await upgrade.result).toMatchObject({ type: 'rejected', status: 426 });
    await settle();
    const response = text(concatBytes(reply));
    expect(response).toMatch(/^HTTP\/1\.1 426 /);
    expect(response).toContain('Sec-WebSocket-Version: 13\r\n');
  });

  it('drops a slowloris request after the handshake timeout', async () => {
    const clock = new ManualClock();
    const [clientEnd, serverEnd] = createMemoryTransportPair();
    const upgrade = acceptWebSocket(serverEnd, { scheduler: clock, handshakeTimeout: 10_000 });
    serverEnd.attach(upgrade);
    clientEnd.write([latin1('GET / HTTP/1.1\r\nHost: x\r\n')]);
    await settle();
    clock.advance(9_999);
    await settle();
    expect(serverEnd.destroyed).toBe(false);
    clock.advance(1);
    expect(await upgrade.result).toMatchObject({ type: 'failed', reason: 'timeout' });
    expect(serverEnd.destroyed).toBe(true);
  });

  it('the client times out when the server never answers', async () => {
    const clock = new ManualClock();
    const [clientEnd] = createMemoryTransportPair();
    const upgrade = connectWebSocket(clientEnd, { scheduler: clock, url: 'ws://example.test/', handshakeTimeout: 3000 });
    clientEnd.attach(upgrade);
    const outcome = upgrade.session.catch((e: unknown) => e);
    clock.advance(3000);
    expect(await outcome).toBeInstanceOf(HandshakeTimeoutError);
    expect(clientEnd.destroyed).toBe(true);
  });

  it('reports EOF before the request is complete', async () => {
    const clock = new ManualClock();
    const [clientEnd, serverEnd] = createMemoryTransportPair();
    const upgrade = acceptWebSocket(serverEnd, { scheduler: clock });
    serverEnd.attach(upgrade);
    clientEnd.write([latin1('GET / HT')]);
    clientEnd.end();
    expect(await upgrade.result).toMatchObject({ type: 'failed', reason: 'eof' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses with 503 when the registry is full, without calling the hook', async () => {
    const clock = new ManualClock();
    const registry = new ServerRegistry({ scheduler: clock, maxConnections: 1 });
    let hookCalls = 0;
    const server: Partial<ServerUpgradeOptions> = {
      registry,
      accept: () => {
        hookCalls++;
        return accept();
      },
    };
    const first = connect({ clock, server });
    const session = await first.clientUpgrade.session;
    expect(registry.size).toBe(1);
    const second = connect({ clock, server });
    const error = (await second.clientUpgrade.session.catch((e: unknown) => e)) as HandshakeError;
    expect(error.status).toBe(503);
    expect(hookCalls).toBe(1);
    session.close(1000);
    await settle();
    expect(registry.size).toBe(0);
    const third = connect({ clock, server });
    await third.clientUpgrade.session;
    expect(registry.size).toBe(1);
    await registry.shutdown({ timeout: 1000 });
    expect((await third.clientUpgrade.session.then((s: Session) => s.closed)).code).toBe(1001);
  });

  it('negotiates permessage-deflate on both sides and compresses', async () => {
    const clock = new ManualClock();
    const { serverUpgrade, clientUpgrade, clientEnd } = connect({
      clock,
      server: { extensions: [permessageDeflate({ threshold: 0 })] },
      client: { extensions: [permessageDeflate({ threshold: 0 })] },
    });
    const client = await clientUpgrade.session;
    const result = await serverUpgrade.result;
    if (result.type !== 'accepted') throw new Error(result.type);
    expect(client.extensions).toMatch(/^permessage-deflate/);
    expect(result.session.extensions).toBe(client.extensions);
    const got: SessionMessage[] = [];
    result.session.on('message', (m) => got.push(m));
    await settle();
    const before = clientEnd.stats.bytesWritten;
    const big = 'abc'.repeat(5000);
    client.send(big);
    client.send('x');
    await settle();
    expect(got).toEqual([big, 'x']);
    expect(clientEnd.stats.bytesWritten - before).toBeLessThan(1000);
  });

  it('the server adds no extension the client did not offer', async () => {
    const clock = new ManualClock();
    const { clientUpgrade } = connect({
      clock,
      server: { extensions: [permessageDeflate()] },
      client: { headers: { 'X-Nothing': '1' } },
    });
    // The client offered nothing, so the server accepts without the extension.
    const session = await clientUpgrade.session;
    expect(session.extensions).toBe('');
  });
});

describe('upgrade property: any chunking of handshake and frames', () => {
  it('upgrades and delivers every message in order', async () => {
    const fc = (await import('fast-check')).default;
    const runs = Number(process.env['FW_FUZZ_RUNS'] ?? 10_000);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.string({ maxLength: 20 }), { maxLength: 6 }),
        fc.subarray(['a', 'b', 'c']),
        async (sizes, messages, offered) => {
          const clock = new ManualClock();
          let k = 0;
          const { serverUpgrade, clientUpgrade } = connect({
            clock,
            server: { protocols: ['c', 'b'] },
            client: { protocols: offered },
            transport: {
              rechunk: (bytes) => {
                const out: Uint8Array[] = [];
                for (let at = 0; at < bytes.length; ) {
                  const n = sizes[k++ % sizes.length]!;
                  out.push(bytes.subarray(at, at + n));
                  at += n;
                }
                return out;
              },
            },
          });
          const client = await clientUpgrade.session;
          for (const m of messages) client.send(m);
          const result = await serverUpgrade.result;
          if (result.type !== 'accepted') throw new Error(result.type);
          const expected = offered.includes('c') ? 'c' : offered.includes('b') ? 'b' : '';
          expect(result.session.protocol).toBe(expected);
          expect(client.protocol).toBe(expected);
          const got: SessionMessage[] = [];
          result.session.on('message', (m) => got.push(m));
          await settle(1);
          expect(got).toEqual(messages);
          client.terminate();
        },
      ),
      { numRuns: runs, seed: 4244 },
    );
  });
});
