// Session.closeWithLibraryCode: a server reports its own failures (1011,
// 1008) with the codes `close()` keeps for the library (RFC 6455 §7.4.1).
import { describe, expect, it } from 'vitest';
import { sessionPair, settle } from './session-helpers.js';

describe('Session.closeWithLibraryCode', () => {
  it('sends 1011 with its reason and the peer sees it', async () => {
    const { client, server } = sessionPair();
    await settle();
    server.closeWithLibraryCode(1011, 'program exited with 3');
    expect(await client.closed).toEqual({ code: 1011, reason: 'program exited with 3', wasClean: true });
  });

  it('refuses codes that may not be sent, and is ignored once closing', async () => {
    const { client, server } = sessionPair();
    await settle();
    expect(() => server.closeWithLibraryCode(1006)).toThrow(/may not be sent/);
    expect(() => server.closeWithLibraryCode(999)).toThrow(/may not be sent/);
    server.closeWithLibraryCode(1008, 'too slow');
    server.closeWithLibraryCode(1011, 'ignored');
    expect(await client.closed).toMatchObject({ code: 1008, reason: 'too slow' });
  });
});
