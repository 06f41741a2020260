import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import { ProtocolError } from '../src/protocol/errors.js';
import { Session } from '../src/session/session.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { createMemoryTransportPair } from '../src/testing/memory-transport.js';
import type { MessageExtension } from '../src/protocol/extension.js';
import type { CloseInfo } from '../src/session/session.js';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { sessionPair, settle } from './session-helpers.js';

/** A toy per-message extension whose work is asynchronous: it reverses every payload. */
function asyncReverse(log: string[]): MessageExtension {
  const later = <T>(value: T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), 1));
  return {
    name: 'x-reverse',
    decode: (fragments) => {
      const bytes = Uint8Array.from(fragments.flatMap((f) => [...f]));
      return later(bytes.reverse());
    },
    encode: (payload) => later(payload.slice().reverse()),
    dispose: () => log.push('dispose'),
  };
}

describe('Session: errors', () => {
  it('reports a protocol error from the peer and closes with its code', async () => {
    const { server, clientEnd } = sessionPair();
    const errors: Error[] = [];
    server.on('error', (e) => errors.push(e));
    // An unmasked frame from a client breaks RFC 6455 §5.1: 1002.
    clientEnd.write([Uint8Array.of(0x81, 0x01, 0x61)]);
    const info = await server.closed;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect((errors[0] as ProtocolError).closeCode).toBe(1002);
    expect(info).toEqual({ code: 1002, reason: '', wasClean: false });
  });

  it('reports a transport error, then 1006', async () => {
    const { server } = sessionPair();
    const errors: Error[] = [];
    const closes: CloseInfo[] = [];
    server.on('error', (e) => errors.push(e));
    server.on('close', (c) => closes.push(c));
    server.receiveEof(new Error('ECONNRESET'));
    server.receiveEof(new Error('again')); // idempotent
    await settle();
    expect(errors.map((e) => e.message)).toEqual(['ECONNRESET']);
    expect(closes).toEqual([{ code: 1006, reason: '', wasClean: false }]);
  });

  it('rethrows a listener exception asynchronously by default', async () => {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      seen.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      // Undefined here overrides the helper's collector: the session's default applies.
      const { client, server } = sessionPair({ server: { onListenerError: undefined as never } });
      server.on('message', () => {
        throw new Error('listener bug');
      });
      const got: SessionMessage[] = [];
      server.on('message', (m) => got.push(m));
      client.send('one');
      await settle(5);
      expect(seen.map((e) => (e as Error).message)).toEqual(['listener bug']);
      expect(got).toEqual(['one']);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('never throws from receive: an internal bug becomes an error event and a terminated session', async () => {
    class Broken extends Connection {
      override receive(): void {
        throw new Error('internal bug');
      }
    }
    const clock = new ManualClock();
    const [end] = createMemoryTransportPair();
    const session = new Session({ connection: new Broken({ role: 'server', now: () => clock.now() }), transport: end, scheduler: clock });
    const errors: Error[] = [];
    session.on('error', (e) => errors.push(e));
    expect(() => session.receive(Uint8Array.of(1, 2, 3))).not.toThrow();
    expect(errors.map((e) => e.message)).toEqual(['internal bug']);
    expect(end.destroyed).toBe(true);
    expect(await session.closed).toEqual({ code: 1006, reason: '', wasClean: false });
  });

  it('emits open once, before any message', async () => {
    const { client, server } = sessionPair();
    const events: string[] = [];
    server.on('open', () => events.push('open'));
    server.on('message', () => events.push('message'));
    client.send('x');
    await settle();
    expect(events).toEqual(['open', 'message']);
  });
});

describe('Session: asynchronous extension work', () => {
  it('waits for pending() and keeps messages in order both ways', async () => {
    const log: string[] = [];
    const { client, server } = sessionPair({
      clientConnection: { extension: asyncReverse(log) },
      serverConnection: { extension: asyncReverse(log) },
    });
    const got: SessionMessage[] = [];
    server.on('message', (m) => {
      got.push(m);
      server.send(m);
    });
    const back: SessionMessage[] = [];
    client.on('message', (m) => back.push(m));
    const sent = ['alpha', 'beta', 'gamma', 'delta'];
    for (const m of sent) client.send(m);
    for (let i = 0; i < 50 && back.length < sent.length; i++) await new Promise((r) => setTimeout(r, 2));
    expect(got).toEqual(sent);
    expect(back).toEqual(sent);
    client.close(1000);
    for (let i = 0; i < 50 && server.readyState !== 3; i++) await new Promise((r) => setTimeout(r, 2));
    expect((await server.closed).wasClean).toBe(true);
    expect(log).toEqual(['dispose', 'dispose']);
  });
});

describe('Session: transport end', () => {
  it('destroys a transport whose peer never ends, after transportCloseTimeout', async () => {
    const { server, clock, clientEnd, serverEnd } = sessionPair({
      server: { transportCloseTimeout: 2000 },
      serverConnection: { closeTimeout: 1000 },
    });
    // A raw peer that reads nothing and never ends its side.
    clientEnd.attach({ receive: () => {}, receiveEof: () => {}, drain: () => {} });
    server.close(1000);
    await settle();
    clock.advance(1000);
    await settle();
    expect((await server.closed).wasClean).toBe(false);
    expect(serverEnd.ended).toBe(true);
    expect(serverEnd.destroyed).toBe(false);
    clock.advance(1999);
    expect(serverEnd.destroyed).toBe(false);
    clock.advance(1);
    expect(serverEnd.destroyed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves no timer behind after a clean close', async () => {
    const { client, server, clock } = sessionPair({ serverConnection: { heartbeat: { interval: 1000, timeout: 500 } } });
    await settle();
    expect(clock.pendingTimers).toBe(1);
    client.close(1000);
    await settle();
    expect((await server.closed).wasClean).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});
