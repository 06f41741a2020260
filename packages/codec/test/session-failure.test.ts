// After the connection failed (our close frame with 1002, 1007, 1008...), the
// peer's further bytes are not read: a peer that keeps flooding cannot grow
// our memory while we wait for it to close (issue 15).
import { describe, expect, it } from 'vitest';
import { peerFrame } from './connection-helpers.js';
import { sessionPair, settle } from './session-helpers.js';

describe('session after a failure', () => {
  it('stops reading a failed peer that keeps sending, and drops it after the grace period', async () => {
    const { server, serverEnd, clientEnd, clock } = sessionPair();
    // A hostile client: it reads nothing and never answers.
    clientEnd.attach({ receive: () => {}, receiveEof: () => {}, drain: () => {} });
    server.on('error', () => {});
    let closed: { code: number } | undefined;
    server.on('close', (info) => (closed = info));
    await settle();
    // A reserved opcode: protocol error, close 1002.
    server.receive(peerFrame('server', { opcode: 0x3, payload: 'x' }));
    await settle();
    expect(serverEnd.ended).toBe(true);
    // Its close frame and a little more are read (and dropped); a flood is not.
    server.receive(new Uint8Array(32 * 1024));
    expect(serverEnd.paused).toBe(false);
    server.receive(new Uint8Array(64 * 1024));
    expect(serverEnd.paused).toBe(true);
    // The peer never closes its side: the grace timer destroys the transport.
    clock.advance(10_000);
    await settle();
    expect(serverEnd.destroyed).toBe(true);
    expect(closed?.code).toBe(1002);
  });

  it('keeps reading after a clean close handshake, to see the peer end its side', async () => {
    const { client, server, serverEnd } = sessionPair();
    await settle();
    client.close(1000);
    await settle();
    expect(serverEnd.paused).toBe(false);
    expect((await server.closed).wasClean).toBe(true);
  });
});
