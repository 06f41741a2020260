import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryLog } from '../src/index.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const numRuns = Number(process.env.FW_FUZZ_RUNS ?? 200);

describe('MemoryLog', () => {
  it('gives increasing ids and reads what came after since, oldest first', async () => {
    const log = new MemoryLog({ maxLength: 10 });
    const a = await log.append('t', bytes('a'), false);
    const b = await log.append('t', bytes('b'), false);
    const c = await log.append('t', bytes('c'), true);
    expect(log.compare(a, b)).toBeLessThan(0);
    expect((await log.read('t', a, 10)).map((m) => m.id)).toEqual([b, c]);
    expect((await log.read('t', c, 10))).toEqual([]);
    expect((await log.read('t', undefined, 2)).map((m) => new TextDecoder().decode(m.data))).toEqual(['b', 'c']);
    expect((await log.read('t', undefined, 3))[2]!.binary).toBe(true);
  });

  it('copies the data it is given', async () => {
    const log = new MemoryLog();
    const data = bytes('abc');
    await log.append('t', data, false);
    data[0] = 0x7a;
    expect(new TextDecoder().decode((await log.read('t', undefined, 1))[0]!.data)).toBe('abc');
  });

  it('refuses ids it could not have made', () => {
    const log = new MemoryLog();
    for (const bad of ['', '-1', '01', '1.5', 'abc', '1e3', '99999999999999999']) {
      expect(log.isId(bad)).toBe(false);
      expect(() => log.compare(bad, '1')).toThrow(TypeError);
    }
  });

  it('bounds the topics it keeps', async () => {
    const log = new MemoryLog({ maxLength: 5, maxTopics: 3 });
    for (const topic of ['a', 'b', 'c', 'd']) await log.append(topic, bytes(topic), false);
    expect(await log.read('a', undefined, 5)).toEqual([]);
    expect((await log.read('d', undefined, 5)).length).toBe(1);
  });

  it('property: read(since) is the suffix of the kept list after since, in order, bounded by maxLength', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 8 }),
        fc.array(fc.constantFrom('x', 'y'), { maxLength: 40 }),
        fc.nat(45),
        fc.integer({ min: 0, max: 12 }),
        async (maxLength, topics, sinceIndex, limit) => {
          const log = new MemoryLog({ maxLength });
          const ids: Array<{ id: string; topic: string }> = [];
          for (const topic of topics) ids.push({ id: await log.append(topic, bytes(topic), false), topic });
          for (const topic of ['x', 'y']) {
            const mine = ids.filter((m) => m.topic === topic).map((m) => m.id);
            const kept = mine.slice(Math.max(0, mine.length - maxLength));
            const since = ids[sinceIndex]?.id;
            const expected = since === undefined ? kept.slice(Math.max(0, kept.length - limit)) : kept.filter((id) => log.compare(id, since) > 0).slice(0, limit);
            if (since === undefined && limit === 0) expected.length = 0;
            expect((await log.read(topic, since, limit)).map((m) => m.id)).toEqual(expected);
          }
        },
      ),
      { seed, numRuns },
    );
  });
});
