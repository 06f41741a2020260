// The cluster-wide member count: the announcement parser and the per-process
// registry as fast-check properties (FW_FUZZ_SEED, FW_FUZZ_RUNS), and two
// Presence objects on one in-memory broker, as two processes on one Redis.
import { MemoryBroker } from '@framewire/codec/adapter';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PEERS, PRESENCE_TTL_MS, PeerCounts, Presence, readPresence } from '../src/presence.js';

const RUNS = Math.min(Number(process.env['FW_FUZZ_RUNS'] ?? 200), 50_000);
const SEED = Number(process.env['FW_FUZZ_SEED'] ?? 42);
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('readPresence', () => {
  it('reads an announcement and refuses the wrong shapes', () => {
    expect(readPresence(bytes('{"id":"12-1-abc","count":3}'))).toEqual({ id: '12-1-abc', count: 3 });
    for (const bad of ['', 'x', 'null', '[]', '{"id":"a"}', '{"id":"","count":1}', '{"id":"a","count":-1}', '{"id":"a","count":1.5}', '{"id":5,"count":1}', `{"id":"${'a'.repeat(65)}","count":1}`]) {
      expect(readPresence(bytes(bad)), bad).toBeUndefined();
    }
    expect(readPresence(new Uint8Array([0xff, 0xfe, 0x00]))).toBeUndefined();
    expect(readPresence(bytes(`{"id":"a","count":1,"pad":"${'x'.repeat(600)}"}`))).toBeUndefined();
  });

  it('property: never throws; what it accepts has a short id and a non-negative integer count', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.json().map(bytes),
      fc.record({ id: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()), count: fc.oneof(fc.integer(), fc.double(), fc.string()) }).map((value) => bytes(JSON.stringify(value))),
    );
    fc.assert(
      fc.property(input, (data) => {
        const announcement = readPresence(data);
        if (announcement === undefined) return;
        expect(announcement.id.length).toBeGreaterThan(0);
        expect(announcement.id.length).toBeLessThanOrEqual(64);
        expect(Number.isSafeInteger(announcement.count) && announcement.count >= 0).toBe(true);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe('PeerCounts', () => {
  type Step = { kind: 'set'; id: number; count: number; advance: number } | { kind: 'expire'; advance: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), id: fc.integer({ min: 0, max: 9 }), count: fc.integer({ min: 0, max: 5 }), advance: fc.integer({ min: 0, max: 2000 }) }),
    fc.record({ kind: fc.constant('expire' as const), advance: fc.integer({ min: 0, max: 4000 }) }),
  );

  it('property: the total is the sum of the unexpired non-zero counts, within the size bound, and "changed" tells the truth', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (steps, limit) => {
        const counts = new PeerCounts(limit);
        // The model: id -> { count, expires }.
        const model = new Map<string, { count: number; expires: number }>();
        const modelTotal = (): number => [...model.values()].reduce((sum, entry) => sum + entry.count, 0);
        const modelExpire = (now: number): void => {
          for (const [id, entry] of model) if (entry.expires <= now) model.delete(id);
        };
        let now = 0;
        for (const s of steps) {
          now += s.advance;
          const before = counts.total();
          if (s.kind === 'expire') {
            const changed = counts.expire(now);
            modelExpire(now);
            expect(changed).toBe(before !== counts.total());
          } else {
            const id = `p${s.id}`;
            const changed = counts.set(id, s.count, now);
            // No change goes unreported (the page's count would go stale).
            if (counts.total() !== before) expect(changed).toBe(true);
            if (s.count === 0) model.delete(id);
            else {
              if (!model.has(id) && model.size >= limit) modelExpire(now);
              if (model.has(id) || model.size < limit) model.set(id, { count: s.count, expires: now + PRESENCE_TTL_MS });
            }
          }
          // Entries the registry still holds past their time only go at the next expire: compare after one.
          counts.expire(now);
          modelExpire(now);
          expect(counts.total()).toBe(modelTotal());
          expect(counts.size).toBe(model.size);
          expect(counts.size).toBeLessThanOrEqual(limit);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('keeps at most MAX_PEERS processes by default', () => {
    const counts = new PeerCounts();
    for (let i = 0; i < MAX_PEERS + 50; i++) counts.set(`p${i}`, 1, 0);
    expect(counts.size).toBe(MAX_PEERS);
    expect(counts.total()).toBe(MAX_PEERS);
  });
});

describe('Presence on one broker (as two processes on one Redis)', () => {
  const stops: Array<() => void> = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });

  it('each side counts the other; a side that stops drops out at once, one that goes silent after the TTL', async () => {
    const broker = new MemoryBroker();
    let clock = 1_000;
    const local = { a: 2, b: 3 };
    const changes = { a: 0, b: 0 };
    const make = (name: 'a' | 'b'): Presence => {
      const presence = new Presence({ broker, id: name, local: () => local[name], onChange: () => changes[name]++, now: () => clock });
      stops.push(() => presence.stop());
      return presence;
    };
    const a = make('a');
    const b = make('b');
    a.announce();
    b.announce();
    expect(a.total).toBe(5);
    expect(b.total).toBe(5);
    expect(changes).toEqual({ a: 1, b: 1 });

    local.b = 1;
    b.announce();
    expect(a.total).toBe(3);

    await b.stop();
    expect(a.total).toBe(2);
    expect(broker.listenerCount('demo.presence')).toBe(1);

    // A silent process (killed without a goodbye) expires after the TTL.
    broker.publish({ topic: 'demo.presence', data: bytes('{"id":"ghost","count":4}'), binary: false, compress: false, origin: 'ghost' });
    expect(a.total).toBe(6);
    clock += PRESENCE_TTL_MS + 1;
    await new Promise((resolve) => setTimeout(resolve, 1200)); // one announce tick
    expect(a.total).toBe(2);
  });

  it('a broker that rejects goes to onError and never throws', async () => {
    const errors: string[] = [];
    const failing = {
      publish: () => Promise.reject(new Error('down')),
      subscribe: () => {
        throw new Error('no subscribe');
      },
      unsubscribe: () => Promise.resolve(),
    };
    const presence = new Presence({ broker: failing, id: 'x', local: () => 1, onChange: () => {}, onError: (error) => errors.push(error.message) });
    await presence.announce();
    await presence.stop();
    expect(errors).toEqual(['no subscribe', 'down', 'down']);
    expect(presence.total).toBe(1);
  });

  it('stop() does not wait long for a broker that never answers', async () => {
    const hanging = { publish: () => new Promise<void>(() => {}), subscribe: () => {}, unsubscribe: () => {} };
    const presence = new Presence({ broker: hanging, id: 'x', local: () => 0, onChange: () => {} });
    const started = Date.now();
    await presence.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
