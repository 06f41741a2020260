import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamLog, RedisStreamLog, type TopicLog } from '../src/index.js';
import { bytes, text, waitFor } from './helpers.js';
import { startNats, startRedis, type Service } from './services.js';

type Log = (RedisStreamLog | JetStreamLog) & TopicLog;
const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const numRuns = Number(process.env.FW_FUZZ_RUNS ?? 300);

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

const kinds: Array<{ name: string; start: (persist: boolean) => Promise<Service>; make: (url: string, maxLength: number) => Log; slack: number }> = [
  // MAXLEN ~ trims whole radix-tree nodes (100 entries by default): up to that many more may stay.
  { name: 'RedisStreamLog' as string, start: (persist) => startRedis({ persist }), make: (url, maxLength) => new RedisStreamLog({ url, maxLength, maxReconnectDelay: 200 }), slack: 100 },
  { name: 'JetStreamLog', start: () => startNats({ jetstream: true }), make: (url, maxLength) => new JetStreamLog({ servers: url, maxLength, reconnectTimeWait: 100 }), slack: 0 },
];

for (const kind of kinds) {
  describe(kind.name, () => {
    const open: Log[] = [];
    let service: Service | undefined;
    afterEach(async () => {
      for (const log of open.splice(0)) await log.close();
      await service?.stop();
      service = undefined;
    });
    const make = async (url: string, maxLength = 1000): Promise<Log> => {
      const log = kind.make(url, maxLength);
      open.push(log);
      await log.ready();
      return log;
    };

    it('gives ordered ids and reads what came after since (exclusive), oldest first, bytes and flag intact', async () => {
      service = await kind.start(false);
      const log = await make(service.url);
      expect(await log.read('t', undefined, 10)).toEqual([]);
      const a = await log.append('t', bytes('a'), false);
      const other = await log.append('u', bytes('other topic'), false);
      const b = await log.append('t', new Uint8Array([0, 1, 255]), true);
      const c = await log.append('t', bytes('c'), false);
      expect(log.isId(a) && log.isId(b) && log.isId(c)).toBe(true);
      expect(log.compare(a, b)).toBeLessThan(0);
      expect(log.compare(c, b)).toBeGreaterThan(0);
      expect(log.compare(b, b)).toBe(0);
      const afterA = await log.read('t', a, 10);
      expect(afterA.map((m) => m.id)).toEqual([b, c]);
      expect([...afterA[0]!.data]).toEqual([0, 1, 255]);
      expect(afterA[0]!.binary).toBe(true);
      expect(afterA[1]!.binary).toBe(false);
      expect(afterA.every((m) => m.topic === 't')).toBe(true);
      expect((await log.read('t', a, 1)).map((m) => m.id)).toEqual([b]);
      expect(await log.read('t', c, 10)).toEqual([]);
      expect((await log.read('t', undefined, 2)).map((m) => text(m.data))).toEqual([text(new Uint8Array([0, 1, 255])), 'c']);
      expect(await log.read('t', undefined, 0)).toEqual([]);
      // JetStream ids are shared by all topics: a since from another topic cuts at its place.
      if (kind.name === 'JetStreamLog') expect((await log.read('t', other, 10)).map((m) => m.id)).toEqual([b, c]);
      expect(() => log.compare('nope', a)).toThrow(TypeError);
      expect(log.isId('nope')).toBe(false);
    });

    it('keeps at most maxLength per topic (plus the documented slack)', async () => {
      service = await kind.start(false);
      const log = await make(service.url, 10);
      const ids: string[] = [];
      for (let i = 0; i < 250; i++) ids.push(await log.append('busy', bytes(`m${i}`), false));
      const kept = await log.read('busy', undefined, 10_000);
      expect(kept.length).toBeGreaterThanOrEqual(10);
      expect(kept.length).toBeLessThanOrEqual(10 + kind.slack);
      expect(kept.map((m) => m.id)).toEqual(ids.slice(-kept.length));
      // A since older than what is kept returns what is kept.
      expect((await log.read('busy', ids[0], 10_000)).map((m) => m.id)).toEqual(ids.slice(-kept.length));
    });

    it('a reader that comes back with its last id gets exactly what it missed, in order', async () => {
      service = await kind.start(false);
      const writer = await make(service.url);
      for (let i = 0; i < 5; i++) await writer.append('room', bytes(`seen${i}`), false);
      const reader = await make(service.url);
      const seen = await reader.read('room', undefined, 100);
      const lastId = seen.at(-1)!.id;
      await reader.close();
      for (let i = 0; i < 30; i++) await writer.append('room', bytes(`missed${i}`), false);
      const back = await make(service.url);
      const missed = await back.read('room', lastId, 100);
      expect(missed.map((m) => text(m.data))).toEqual(Array.from({ length: 30 }, (_, i) => `missed${i}`));
      // Paging with limit gives the same, in order.
      const paged: string[] = [];
      for (let since = lastId; ; ) {
        const page = await back.read('room', since, 7);
        if (page.length === 0) break;
        paged.push(...page.map((m) => text(m.data)));
        since = page.at(-1)!.id;
      }
      expect(paged).toEqual(missed.map((m) => text(m.data)));
    });

    it('survives SIGKILL of the server: calls reject with FW_ERR_BROKER_UNAVAILABLE, and after a restart a reader resumes from its id', async () => {
      service = await kind.start(true);
      const log = await make(service.url);
      const first = await log.append('durable', bytes('one'), false);
      await log.append('durable', bytes('two'), false);
      await log.append('durable', bytes('three'), false);
      await service.kill();
      await waitFor('the log to notice the outage', () => !log.connected);
      const started = Date.now();
      const error = await log.append('durable', bytes('lost'), false).then(() => undefined, (e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(1000);
      expect((error as { code?: string }).code).toBe('FW_ERR_BROKER_UNAVAILABLE');
      const readError = await log.read('durable', first, 10).then(() => undefined, (e: unknown) => e);
      expect((readError as { code?: string }).code).toBe('FW_ERR_BROKER_UNAVAILABLE');
      await service.restart();
      await waitFor('reconnection', () => log.connected);
      await waitFor('the log to answer again', async () => (await log.read('durable', first, 10).catch(() => undefined)) !== undefined);
      const four = await log.append('durable', bytes('four'), false);
      expect(log.compare(four, first)).toBeGreaterThan(0);
      expect((await log.read('durable', first, 10)).map((m) => text(m.data))).toEqual(['two', 'three', 'four']);
      expect(unhandled).toEqual([]);
    });

    it('property: ids returned by append are strictly increasing under compare, and read(since) is the suffix after since', async () => {
      service = await kind.start(false);
      const log = await make(service.url);
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.constantFrom('x', 'y'), { minLength: 1, maxLength: 12 }), fc.nat(), fc.integer({ min: 1, max: 15 }), async (topics, pick, limit) => {
          const prefix = `p${round++}-`;
          const appended: Array<{ id: string; topic: string }> = [];
          for (const topic of topics) appended.push({ id: await log.append(prefix + topic, bytes(topic), false), topic: prefix + topic });
          // Per topic (Redis gives each stream its own ids: two topics may get the same one).
          for (const topic of [prefix + 'x', prefix + 'y']) {
            const ids = appended.filter((m) => m.topic === topic).map((m) => m.id);
            for (let i = 1; i < ids.length; i++) expect(log.compare(ids[i - 1]!, ids[i]!)).toBeLessThan(0);
          }
          const since = appended[pick % appended.length]!;
          const mine = appended.filter((m) => m.topic === since.topic && log.compare(m.id, since.id) > 0).map((m) => m.id);
          expect((await log.read(since.topic, since.id, limit)).map((m) => m.id)).toEqual(mine.slice(0, limit));
        }),
        { seed, numRuns: Math.min(numRuns, 40) },
      );
    });
  });
}
