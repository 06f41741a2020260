import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import { Session } from '../src/session/session.js';
import type { Transport } from '../src/session/transport.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { sessionPair } from './session-helpers.js';

describe('Session.transportKind', () => {
  it("is 'unknown' for a transport that does not name itself", () => {
    const { client, server } = sessionPair();
    expect(client.transportKind).toBe('unknown');
    expect(server.transportKind).toBe('unknown');
  });

  it("is the transport's kind (an adapter's 'tcp', 'tls' or 'http2')", () => {
    const clock = new ManualClock();
    const transport: Transport = { kind: 'http2', write: () => true, end: () => {}, destroy: () => {}, pause: () => {}, resume: () => {} };
    const session = new Session({ connection: new Connection({ role: 'server', now: () => clock.now() }), transport, scheduler: clock });
    expect(session.transportKind).toBe('http2');
  });
});
