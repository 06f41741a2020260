import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { allocateForOverwrite, allocateShiftedForOverwrite, concatBytes, setUninitializedAllocator } from '../src/protocol/bytes.js';
import { encodeFrame } from '../src/protocol/frame.js';
import { Opcode } from '../src/protocol/opcode.js';
import { drainEvents, makeConnection, peerFrame } from './connection-helpers.js';

const SEED = 0x5eed;

/** Stands in for uninitialised memory: every byte 0xAA, so stale bytes would show. */
function dirtyAllocator(calls: number[]): (size: number) => Uint8Array {
  return (size) => {
    calls.push(size);
    return new Uint8Array(size).fill(0xaa);
  };
}

afterEach(() => setUninitializedAllocator(undefined));

describe('concatBytes', () => {
  it('joins in order; one chunk comes back as itself (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 }), (chunks) => {
        const joined = concatBytes(chunks);
        expect(Array.from(joined)).toEqual(chunks.flatMap((c) => Array.from(c)));
        if (chunks.length === 1) expect(joined).toBe(chunks[0]);
      }),
      { seed: SEED },
    );
  });
});

describe('setUninitializedAllocator', () => {
  it('is used for large sizes only, and a pooled or wrong-sized result is refused', () => {
    const calls: number[] = [];
    setUninitializedAllocator(dirtyAllocator(calls));
    expect(allocateForOverwrite(100).every((b) => b === 0)).toBe(true);
    expect(calls).toEqual([]);
    expect(allocateForOverwrite(8192)[0]).toBe(0xaa);
    expect(calls).toEqual([8192]);

    // A view into a shared pool would expose the pool through `.buffer`.
    const pool = new Uint8Array(1 << 16).fill(0xbb);
    setUninitializedAllocator((size) => pool.subarray(16, 16 + size));
    const out = allocateForOverwrite(8192);
    expect(out.buffer).not.toBe(pool.buffer);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  it('zeroes the alignment bytes before a shifted buffer', () => {
    setUninitializedAllocator(dirtyAllocator([]));
    const out = allocateShiftedForOverwrite(8192, 3);
    expect(out.length).toBe(8192);
    expect(out.byteOffset).toBe(3);
    expect(Array.from(new Uint8Array(out.buffer, 0, 3))).toEqual([0, 0, 0]);
  });

  it('a 64 KiB masked frame across chunks arrives intact, filling the allocated buffer exactly', () => {
    const calls: number[] = [];
    setUninitializedAllocator(dirtyAllocator(calls));
    const payload = new Uint8Array(65536).map((_, i) => (i * 7) & 0xff);
    const wire = peerFrame('server', { opcode: Opcode.Binary, payload });
    const server = makeConnection('server');
    for (let at = 0; at < wire.length; at += 5000) server.receive(wire.slice(at, at + 5000));
    const [event] = drainEvents(server);
    expect(event?.type).toBe('binary');
    const data = (event as { data: Uint8Array }).data;
    expect(data).toEqual(payload);
    expect(calls).toContain(65536);
    // Nothing stale is reachable through the view's buffer.
    expect(data.buffer.byteLength).toBe(65536);
  });

  it('a fragmented message grows in zeroed memory: no stale byte behind the payload (property)', () => {
    setUninitializedAllocator(dirtyAllocator([]));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 2, maxLength: 5 }), (sizes) => {
        const server = makeConnection('server');
        sizes.forEach((size, i) => {
          const opcode = i === 0 ? Opcode.Binary : Opcode.Continuation;
          server.receive(peerFrame('server', { opcode, fin: i === sizes.length - 1, payload: new Uint8Array(size).fill(1) }));
        });
        const [event] = drainEvents(server);
        const data = (event as { data: Uint8Array }).data;
        expect(data.length).toBe(sizes.reduce((a, b) => a + b, 0));
        expect(new Uint8Array(data.buffer, data.byteOffset, data.buffer.byteLength - data.byteOffset).includes(0xaa)).toBe(false);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('a large masked frame is encoded correctly into uninitialised memory', () => {
    setUninitializedAllocator(dirtyAllocator([]));
    const payload = new Uint8Array(20000).map((_, i) => i & 0xff);
    const key = new Uint8Array([1, 2, 3, 4]);
    const [, masked] = encodeFrame({ opcode: Opcode.Binary, payload: payload.subarray(1), maskKey: key });
    expect(masked.every((b, i) => (b ^ key[i & 3]!) === payload[i + 1])).toBe(true);
    expect(Array.from(new Uint8Array(masked.buffer, 0, masked.byteOffset)).every((b) => b === 0)).toBe(true);
  });
});
