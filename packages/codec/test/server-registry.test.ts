import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerRegistry } from '../src/session/server-registry.js';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { sessionPair, settle, type Pair } from './session-helpers.js';

function pairs(clock: ManualClock, n: number): Pair[] {
  return Array.from({ length: n }, () =>
    sessionPair({ clock, clientConnection: { closeTimeout: 60_000 }, serverConnection: { closeTimeout: 60_000 } }),
  );
}

describe('ServerRegistry', () => {
  it('counts sessions, refuses reservations when full and frees slots on close', async () => {
    const clock = new ManualClock();
    const registry = new ServerRegistry({ scheduler: clock, maxConnections: 2 });
    const [a, b] = pairs(clock, 2);
    const r1 = registry.reserve();
    const r2 = registry.reserve();
    expect(r1).toBeDefined();
    expect(r2).toBeDefined();
    expect(registry.full).toBe(true);
    expect(registry.reserve()).toBeUndefined();
    r2!.release();
    r2!.release(); // idempotent
    expect(registry.pending).toBe(1);
    r1!.commit(a!.server);
    expect(registry.size).toBe(1);
    const r3 = registry.reserve()!;
    r3.commit(b!.server);
    expect(registry.size).toBe(2);
    expect(registry.full).toBe(true);
    expect([...registry]).toEqual([a!.server, b!.server]);
    a!.client.close(1000);
    await settle();
    expect(registry.size).toBe(1);
    expect(registry.full).toBe(false);
    expect([...registry.clients]).toEqual([b!.server]);
  });

  it('broadcasts to every open session', async () => {
    const clock = new ManualClock();
    const registry = new ServerRegistry({ scheduler: clock });
    const ps = pairs(clock, 3);
    const got: SessionMessage[][] = ps.map(() => []);
    ps.forEach((p, i) => {
      registry.add(p.server);
      p.client.on('message', (m) => got[i]!.push(m));
    });
    ps[2]!.server.close(1000);
    expect(registry.broadcast('hi')).toBe(2);
    await settle();
    expect(got).toEqual([['hi'], ['hi'], []]);
  });

  it('shuts down gracefully: 1001 to everyone, resolves when all closed, refuses new ones', async () => {
    const clock = new ManualClock();
    const registry = new ServerRegistry({ scheduler: clock });
    const ps = pairs(clock, 3);
    for (const p of ps) registry.add(p.server);
    let resolved = false;
    const done = registry.shutdown({ timeout: 1000 }).then(() => {
      resolved = true;
    });
    expect(registry.shutdown()).toBe(registry.shutdown());
    expect(registry.reserve()).toBeUndefined();
    await done;
    expect(resolved).toBe(true);
    for (const p of ps) {
      expect(await p.client.closed).toEqual({ code: 1001, reason: 'server shutting down', wasClean: true });
      expect(await p.server.closed).toEqual({ code: 1001, reason: '', wasClean: true }); // the echo has no reason
    }
    expect(registry.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('terminates sessions whose peers do not answer within the timeout', async () => {
    const clock = new ManualClock();
    const registry = new ServerRegistry({ scheduler: clock });
    const [live, dead] = pairs(clock, 2);
    registry.add(live!.server);
    registry.add(dead!.server);
    dead!.clientEnd.pause(); // this client never reads the 1001
    let resolved = false;
    const done = registry.shutdown({ timeout: 1000 }).then(() => {
      resolved = true;
    });
    await settle();
    expect((await live!.server.closed).code).toBe(1001);
    expect(resolved).toBe(false);
    expect(registry.size).toBe(1);
    clock.advance(999);
    await settle();
    expect(resolved).toBe(false);
    clock.advance(1);
    await done;
    expect(await dead!.server.closed).toEqual({ code: 1006, reason: '', wasClean: false });
    expect(dead!.serverEnd.destroyed).toBe(true);
    expect(registry.size).toBe(0);
  });

  it('sends 1001 at once to a session added during shutdown', async () => {
    const clock = new ManualClock();
    const registry = new ServerRegistry({ scheduler: clock });
    const [first, late] = pairs(clock, 2);
    registry.add(first!.server);
    const done = registry.shutdown({ timeout: 1000 });
    registry.add(late!.server);
    await done;
    expect((await late!.client.closed).code).toBe(1001);
  });
});

describe('ServerRegistry: handshakes in progress at shutdown', () => {
  it('waits for a reserved handshake and sends it 1001 once it commits', async () => {
    const clock = new ManualClock();
    const registry = new ServerRegistry({ scheduler: clock });
    const reservation = registry.reserve()!;
    let resolved = false;
    const done = registry.shutdown({ timeout: 1000 }).then(() => {
      resolved = true;
    });
    await settle();
    expect(resolved).toBe(false);
    const [p] = pairs(clock, 1);
    reservation.commit(p!.server);
    await done;
    expect((await p!.client.closed).code).toBe(1001);
  });

  it('stops waiting for a handshake that never finishes at the timeout', async () => {
    const clock = new ManualClock();
    const registry = new ServerRegistry({ scheduler: clock });
    registry.reserve();
    let resolved = false;
    const done = registry.shutdown({ timeout: 1000 }).then(() => {
      resolved = true;
    });
    await settle();
    expect(resolved).toBe(false);
    clock.advance(1000);
    await done;
    expect(registry.pending).toBe(1);
  });
});

describe('ServerRegistry (property)', () => {
  it('any order of add, reserve, commit, release, close and terminate: size and the heartbeat timer follow the open sessions', async () => {
    const step = fc.oneof(
      fc.constant({ kind: 'add' as const }),
      fc.constant({ kind: 'reserve' as const }),
      fc.record({ kind: fc.constant('commit' as const), at: fc.nat(9) }),
      fc.record({ kind: fc.constant('release' as const), at: fc.nat(9) }),
      fc.record({ kind: fc.constant('close' as const), at: fc.nat(9) }),
      fc.record({ kind: fc.constant('terminate' as const), at: fc.nat(9) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        const clock = new ManualClock();
        const registry = new ServerRegistry({ scheduler: clock, heartbeat: { interval: 1000, timeout: 2000 } });
        const open: Pair[] = [];
        const held: Array<{ commit(s: Pair['server']): void; release(): void }> = [];
        for (const s of steps) {
          if (s.kind === 'add') {
            const [p] = pairs(clock, 1);
            registry.add(p!.server);
            open.push(p!);
          } else if (s.kind === 'reserve') {
            const r = registry.reserve();
            if (r !== undefined) held.push(r);
          } else if (s.kind === 'commit' || s.kind === 'release') {
            const r = held.splice(s.at % Math.max(1, held.length), 1)[0];
            if (r === undefined) continue;
            if (s.kind === 'release') r.release();
            else {
              const [p] = pairs(clock, 1);
              r.commit(p!.server);
              open.push(p!);
            }
          } else {
            const p = open.splice(s.at % Math.max(1, open.length), 1)[0];
            if (p === undefined) continue;
            if (s.kind === 'terminate') p.server.terminate();
            else p.client.close(1000);
          }
          await settle(1);
          expect(registry.size).toBe(open.length);
          expect(registry.pending).toBe(held.length);
          expect([...registry].every((session) => session.readyState === 1)).toBe(true);
          // One sweep timer while sessions exist, none when the last one left (no leak, no timer holding the process).
          const sweepArmed = clock.pendingTimers > 0;
          if (open.length === 0) expect(sweepArmed).toBe(false);
          else expect(sweepArmed).toBe(true);
        }
        for (const r of held) r.release();
        expect(registry.pending).toBe(0);
      }),
      { seed: 0x5e5, numRuns: 150 },
    );
  });
});
