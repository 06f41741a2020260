// Control replies have a budget (issue 15, defect 2): while the transport
// refuses bytes, a ping flood holds at most one pong (the latest, RFC 6455
// §5.5.3), and a peer that keeps flooding is failed with 1008.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Opcode } from '../src/protocol/opcode.js';
import { decodeOutput, drainEvents, makeConnection, peerFrame } from './connection-helpers.js';

const SEED = 0x5eed;
const RUNS = Math.min(Number(process.env.FW_FUZZ_RUNS ?? 2000), 20_000);
const ping = (payload: string): Uint8Array => peerFrame('server', { opcode: Opcode.Ping, payload });

describe('pong budget', () => {
  it('answers every ping while the output flows', () => {
    const conn = makeConnection('server');
    for (let i = 0; i < 5; i++) conn.receive(ping(`p${i}`));
    drainEvents(conn);
    const pongs = decodeOutput(conn.takeOutput(), 'server').map((f) => new TextDecoder().decode(f.payload));
    expect(pongs).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('holds only the latest ping while blocked and answers it on unblock', () => {
    const conn = makeConnection('server');
    conn.setOutputBlocked(true);
    for (let i = 0; i < 100; i++) conn.receive(ping(`p${i}`));
    const events = drainEvents(conn);
    expect(events.filter((e) => e.type === 'ping')).toHaveLength(100);
    expect(conn.bufferedAmount).toBe(0);
    conn.setOutputBlocked(false);
    const frames = decodeOutput(conn.takeOutput(), 'server');
    expect(frames.map((f) => [f.opcode, new TextDecoder().decode(f.payload)])).toEqual([[Opcode.Pong, 'p99']]);
  });

  it('fails with 1008 (FW_ERR_PING_FLOOD) past maxPingsWhileBlocked pings while blocked', () => {
    const conn = makeConnection('server', { maxPingsWhileBlocked: 10 });
    conn.setOutputBlocked(true);
    for (let i = 0; i < 11; i++) conn.receive(ping('x'));
    const events = drainEvents(conn);
    const error = events.find((e) => e.type === 'error');
    expect(error?.type === 'error' && error.error.code).toBe('FW_ERR_PING_FLOOD');
    expect(error?.type === 'error' && error.error.closeCode).toBe(1008);
    const frames = decodeOutput(conn.takeOutput(), 'server');
    expect(frames.map((f) => f.opcode)).toEqual([Opcode.Close]);
    expect(frames[0]!.payload.subarray(0, 2)).toEqual(new Uint8Array([0x03, 0xf0])); // 1008
    expect(conn.closeTransport).toBe(true);
  });

  it('property: any interleaving of pings and (un)blocking answers the last ping of each blocked stretch and never queues more than one held pong', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('ping' as const), payload: fc.string({ maxLength: 20 }) }),
      fc.record({ kind: fc.constant('block' as const), blocked: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const conn = makeConnection('server', { maxPingsWhileBlocked: 1_000 });
        let blocked = false;
        let held: string | undefined;
        const expected: string[] = [];
        const got: string[] = [];
        const take = (): void => {
          for (const f of decodeOutput(conn.takeOutput(), 'server')) got.push(new TextDecoder().decode(f.payload));
        };
        for (const s of steps) {
          if (s.kind === 'ping') {
            conn.receive(ping(s.payload));
            drainEvents(conn);
            if (blocked) held = s.payload;
            else expected.push(s.payload);
          } else {
            conn.setOutputBlocked(s.blocked);
            if (blocked && !s.blocked && held !== undefined) expected.push(held);
            if (!s.blocked) held = undefined;
            blocked = s.blocked;
          }
          // While blocked nothing new may be queued.
          if (blocked) expect(conn.bufferedAmount).toBe(0);
          else take();
        }
        take();
        expect(got).toEqual(expected);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
