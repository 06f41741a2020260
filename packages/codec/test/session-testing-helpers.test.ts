import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/testing/manual-clock.js';
import { createMemoryTransportPair } from '../src/testing/memory-transport.js';
import type { TransportSink } from '../src/session/transport.js';
import { settle } from './session-helpers.js';

function recorder(): TransportSink & { chunks: Uint8Array[]; eofs: number; drains: number } {
  const r = {
    chunks: [] as Uint8Array[],
    eofs: 0,
    drains: 0,
    receive: (c: Uint8Array) => void r.chunks.push(c),
    receiveEof: () => void r.eofs++,
    drain: () => void r.drains++,
  };
  return r;
}

describe('ManualClock', () => {
  it('fires due timers in order of due time, then of setting, with now() at each due time', () => {
    const clock = new ManualClock(100);
    const fired: [string, number][] = [];
    clock.setTimer(() => fired.push(['b', clock.now()]), 20);
    clock.setTimer(() => fired.push(['a', clock.now()]), 10);
    clock.setTimer(() => fired.push(['c', clock.now()]), 20);
    const gone = clock.setTimer(() => fired.push(['x', clock.now()]), 15);
    clock.clearTimer(gone);
    clock.advance(15);
    expect(fired).toEqual([['a', 110]]);
    expect(clock.now()).toBe(115);
    clock.advance(100);
    expect(fired).toEqual([
      ['a', 110],
      ['b', 120],
      ['c', 120],
    ]);
    expect(clock.now()).toBe(215);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fires timers set by a firing timer within the same advance, and rethrows the first error after', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => fired.push(clock.now()), 5);
      throw new Error('first');
    }, 10);
    clock.setTimer(() => fired.push(clock.now()), 12);
    expect(() => clock.advance(20)).toThrow('first');
    expect(fired).toEqual([10, 12, 15]);
    expect(clock.now()).toBe(20);
  });

  it('runAll fires everything, nextDue tells the next one', () => {
    const clock = new ManualClock();
    clock.setTimer(() => clock.setTimer(() => {}, 50), 10);
    expect(clock.nextDue).toBe(10);
    clock.runAll();
    expect(clock.now()).toBe(60);
    expect(clock.nextDue).toBeUndefined();
  });
});

describe('MemoryTransport', () => {
  it('copies on write, delivers asynchronously, re-chunks', async () => {
    const [a, b] = createMemoryTransportPair({ maxChunkSize: 3 });
    const rb = recorder();
    b.attach(rb);
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7);
    expect(a.write([data.subarray(0, 2), data.subarray(2)])).toBe(true);
    data.fill(0);
    expect(rb.chunks).toEqual([]);
    await settle();
    expect(rb.chunks).toEqual([Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6), Uint8Array.of(7)]);
  });

  it('a paused reader makes write return false past capacity; drain follows once it reads', async () => {
    const [a, b] = createMemoryTransportPair({ capacity: 4 });
    const ra = recorder();
    const rb = recorder();
    a.attach(ra);
    b.attach(rb);
    b.pause();
    expect(a.write([Uint8Array.of(1, 2)])).toBe(true);
    expect(a.write([Uint8Array.of(3, 4)])).toBe(false);
    expect(a.bufferedAmount).toBe(4);
    await settle();
    expect(rb.chunks).toEqual([]);
    expect(ra.drains).toBe(0);
    b.resume();
    await settle();
    expect(rb.chunks.length).toBe(2);
    expect(ra.drains).toBe(1);
    expect(a.stats).toMatchObject({ writes: 2, bytesWritten: 4, writesRefused: 1 });
    expect(b.stats).toMatchObject({ pauses: 1, resumes: 1 });
  });

  it('end() delivers EOF after the data; destroy() drops queued data and ends both sides', async () => {
    const [a, b] = createMemoryTransportPair();
    const ra = recorder();
    const rb = recorder();
    a.attach(ra);
    b.attach(rb);
    a.write([Uint8Array.of(1)]);
    a.end();
    await settle();
    expect(rb.chunks).toEqual([Uint8Array.of(1)]);
    expect(rb.eofs).toBe(1);
    const [c, d] = createMemoryTransportPair();
    const rc = recorder();
    const rd = recorder();
    c.attach(rc);
    d.attach(rd);
    c.write([Uint8Array.of(9)]);
    c.destroy();
    await settle();
    expect(rd.chunks).toEqual([]);
    expect(rd.eofs).toBe(1);
    expect(rc.eofs).toBe(1);
  });

  it('delays delivery through a scheduler, keeping order', async () => {
    const clock = new ManualClock();
    const delays = [30, 5];
    let i = 0;
    const [a, b] = createMemoryTransportPair({ scheduler: clock, delay: () => delays[i++]! });
    const rb = recorder();
    b.attach(rb);
    a.write([Uint8Array.of(1)]);
    a.write([Uint8Array.of(2)]);
    clock.advance(29);
    await settle();
    expect(rb.chunks).toEqual([]);
    clock.advance(1);
    await settle();
    expect(rb.chunks).toEqual([Uint8Array.of(1), Uint8Array.of(2)]);
  });
});
