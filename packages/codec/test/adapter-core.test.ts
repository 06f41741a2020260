import { describe, expect, it } from 'vitest';
import type { AbortSignalLike, AdapterRuntime } from '../src/adapter/adapter-options.js';
import { connectTransport } from '../src/adapter/client-core.js';
import { ConnectError, HandshakeStatusError } from '../src/session/connect-errors.js';
import { ServerCore, listenAddress } from '../src/adapter/server-core.js';
import type { UpgradeRequest } from '../src/protocol/handshake-server.js';
import type { Session } from '../src/session/session.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { createMemoryTransportPair, type MemoryTransport } from '../src/testing/memory-transport.js';
import { accept } from '../src/session/upgrade-server.js';
import { settle } from './session-helpers.js';

interface Context {
  readonly id: number;
}

/** A server core with its events recorded, and an `open` that pipes each client into it. */
function setup(options: ConstructorParameters<typeof ServerCore<Context>>[0] = {}) {
  const clock = new ManualClock();
  const runtime: AdapterRuntime = { scheduler: clock };
  const events: string[] = [];
  const sessions: Session[] = [];
  const core = new ServerCore<Context>(options, runtime, {
    connection: (session, request) => {
      sessions.push(session);
      events.push(`connection ${request.path}`);
    },
    rejected: (status, reason) => events.push(`rejected ${status} ${reason}`),
    close: () => events.push('close'),
  });
  let next = 0;
  const open = (): Promise<MemoryTransport> => {
    const [clientEnd, serverEnd] = createMemoryTransportPair();
    core.upgrade(serverEnd, { id: ++next });
    return Promise.resolve(clientEnd);
  };
  return { clock, runtime, core, events, sessions, open };
}

describe('adapter toolkit: ServerCore and connectTransport over a memory transport', () => {
  it('connects, negotiates the subprotocol, hands the accept hook its context and counts the connection', async () => {
    const seen: Array<[string, number]> = [];
    const { runtime, core, events, sessions, open } = setup({
      protocols: ['b', 'a'],
      accept: (request: UpgradeRequest, context: Context) => {
        seen.push([request.path, context.id]);
        return accept();
      },
    });
    const client = await connectTransport('ws://example.test/room', { protocols: ['a', 'b'] }, { runtime, open });
    await settle();
    expect(client.protocol).toBe('b');
    expect(seen).toEqual([['/room', 1]]);
    expect(events).toEqual(['connection /room']);
    expect(core.size).toBe(1);
    expect(core.clients.has(sessions[0]!)).toBe(true);
    client.close(1000);
    await sessions[0]!.closed;
  });

  it('answers 404 on a path it does not take, and the client gets a HandshakeStatusError', async () => {
    const { runtime, events, open } = setup({ path: ['/live'] });
    const attempt = connectTransport(new URL('ws://example.test/other'), {}, { runtime, open });
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandshakeStatusError);
    expect((error as HandshakeStatusError).status).toBe(404);
    await settle();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatch(/^rejected 404/);
  });

  it('fails with FW_ERR_HANDSHAKE_TIMEOUT when the server never answers within handshakeTimeout', async () => {
    const clock = new ManualClock();
    let destroyed = false;
    const open = (): Promise<MemoryTransport> => {
      const [clientEnd] = createMemoryTransportPair(); // nobody reads the other end
      const destroy = clientEnd.destroy.bind(clientEnd);
      clientEnd.destroy = () => {
        destroyed = true;
        destroy();
      };
      return Promise.resolve(clientEnd);
    };
    const attempt = connectTransport('ws://example.test/', { handshakeTimeout: 500 }, { runtime: { scheduler: clock }, open });
    await settle();
    clock.advance(499);
    await settle();
    expect(destroyed).toBe(false);
    clock.advance(1);
    const error = (await attempt.catch((e: unknown) => e)) as ConnectError;
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.code).toBe('FW_ERR_HANDSHAKE_TIMEOUT');
    expect(destroyed).toBe(true);
  });

  it('turns an abort while opening into FW_ERR_ABORTED with the caller reason as cause', async () => {
    const clock = new ManualClock();
    const listeners: Array<() => void> = [];
    const caller: AbortSignalLike & { fire(reason: unknown): void } = {
      aborted: false,
      reason: undefined,
      addEventListener: (_type, listener) => listeners.push(listener),
      removeEventListener: () => {},
      fire(reason) {
        Object.assign(this, { aborted: true, reason });
        for (const l of listeners) l();
      },
    };
    // The adapter's open rejects with FW_ERR_ABORTED once the attempt's signal fires.
    const open = (_target: unknown, signal: AbortSignalLike): Promise<MemoryTransport> =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(new ConnectError('FW_ERR_ABORTED', 'aborted'))));
    const attempt = connectTransport('ws://example.test/', { signal: caller }, { runtime: { scheduler: clock }, open });
    caller.fire('user gave up');
    const error = (await attempt.catch((e: unknown) => e)) as ConnectError;
    expect(error.code).toBe('FW_ERR_ABORTED');
    expect(error.cause).toBe('user gave up');
  });

  it('rejects a bad URL with FW_ERR_INVALID_URL before opening anything', async () => {
    let opened = 0;
    const open = (): Promise<MemoryTransport> => {
      opened += 1;
      return Promise.resolve(createMemoryTransportPair()[0]);
    };
    const error = (await connectTransport('ftp://example.test/', {}, { runtime: { scheduler: new ManualClock() }, open }).catch((e: unknown) => e)) as ConnectError;
    expect(error.code).toBe('FW_ERR_INVALID_URL');
    expect(opened).toBe(0);
  });

  it('close() sends 1001, runs the adapter steps in order, emits close once and reports closing', async () => {
    const { runtime, core, events, open } = setup();
    const client = await connectTransport('ws://example.test/', {}, { runtime, open });
    const steps: string[] = [];
    const closed = core.close({ reason: 'bye' }, { stop: () => void steps.push('stop'), release: () => void steps.push('release') });
    expect(core.closing).toBe(true);
    expect(core.close()).toBe(closed);
    const info = await client.closed;
    expect(info.code).toBe(1001);
    expect(info.reason).toBe('bye');
    await closed;
    expect(steps).toEqual(['stop', 'release']);
    expect(events.filter((e) => e === 'close')).toHaveLength(1);
  });

  it('listenAddress tells IPv6 from IPv4', () => {
    expect(listenAddress('127.0.0.1', 80)).toEqual({ address: '127.0.0.1', family: 'IPv4', port: 80 });
    expect(listenAddress('::1', 81).family).toBe('IPv6');
  });
});
