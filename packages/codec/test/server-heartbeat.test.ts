// Servers ping idle peers and drop dead ones by default (issue 15, defect 5):
// one sweep per server over its sessions, on the injected clock.
import { describe, expect, it } from 'vitest';
import type { AdapterRuntime } from '../src/adapter/adapter-options.js';
import { connectTransport } from '../src/adapter/client-core.js';
import { ServerCore } from '../src/adapter/server-core.js';
import type { ServerPolicyOptions } from '../src/adapter/adapter-options.js';
import type { CloseInfo, Session } from '../src/session/session.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { createMemoryTransportPair, type MemoryTransport } from '../src/testing/memory-transport.js';
import { settle } from './session-helpers.js';

/** A server core on a manual clock with one connected client; `cut()` makes the client silent (a pulled cable). */
async function connected(options: ServerPolicyOptions<undefined> = {}) {
  const clock = new ManualClock();
  const runtime: AdapterRuntime = { scheduler: clock };
  const sessions: Session[] = [];
  const core = new ServerCore<undefined>(options, runtime, {
    connection: (session) => void sessions.push(session),
    rejected: () => {},
    close: () => {},
  });
  let clientEnd: MemoryTransport | undefined;
  const open = (): Promise<MemoryTransport> => {
    const [client, server] = createMemoryTransportPair();
    clientEnd = client;
    core.upgrade(server, undefined);
    return Promise.resolve(client);
  };
  const client = await connectTransport('ws://example.test/', {}, { runtime, open });
  await settle();
  const server = sessions[0]!;
  let closeInfo: CloseInfo | undefined;
  server.on('close', (info) => (closeInfo = info));
  const cut = (): void => {
    // Nothing the client writes arrives any more, and it hears nothing.
    clientEnd!.write = () => true;
  };
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await settle();
  };
  return { core, client, server, cut, advance, closed: () => closeInfo };
}

describe('server heartbeat', () => {
  it('is on by default: a silent peer is pinged after 30-60 s and dropped with 1006 after two missed pongs', async () => {
    const { core, cut, advance, closed } = await connected();
    cut();
    let elapsed = 0;
    while (closed() === undefined && elapsed < 200_000) {
      await advance(5_000);
      elapsed += 5_000;
    }
    expect(closed()).toEqual({ code: 1006, reason: '', wasClean: false });
    // Dropped after 2 missed pongs: between 90 s and 120 s of silence.
    expect(elapsed).toBeGreaterThanOrEqual(90_000);
    expect(elapsed).toBeLessThanOrEqual(120_000);
    expect(core.size).toBe(0);
  });

  it('keeps a peer that answers (the client session pongs by itself) for as long as it lives', async () => {
    const { core, client, advance, closed } = await connected();
    // Small steps, so each pong can travel between two sweeps.
    for (let i = 0; i < 120; i++) await advance(5_000);
    expect(closed()).toBeUndefined();
    expect(core.size).toBe(1);
    client.close(1000);
    await advance(10);
  });

  it('is off with heartbeat: false', async () => {
    const { core, cut, advance, closed } = await connected({ heartbeat: false });
    cut();
    for (let i = 0; i < 20; i++) await advance(30_000);
    expect(closed()).toBeUndefined();
    expect(core.size).toBe(1);
  });

  it('takes its own interval and timeout: dropped after ceil(timeout / interval) missed pings', async () => {
    const { cut, advance, closed } = await connected({ heartbeat: { interval: 1000, timeout: 3000 } });
    cut();
    let elapsed = 0;
    while (closed() === undefined && elapsed < 20_000) {
      await advance(100);
      elapsed += 100;
    }
    expect(closed()?.code).toBe(1006);
    // 1-2 intervals to the first ping, then 3 missed pings one interval apart.
    expect(elapsed).toBeGreaterThanOrEqual(4000);
    expect(elapsed).toBeLessThanOrEqual(5100);
  });
});
