import type { BrokerListener, BrokerMessage } from '@framewire/codec/session';
import fc from 'fast-check';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBroker, RedisBroker } from '../src/index.js';
import { bytes, text, waitFor } from './helpers.js';
import { startNats, startRedis, type Service } from './services.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const numRuns = Math.min(Number(process.env.FW_FUZZ_RUNS ?? 15), 200);

const TOPICS = ['a', 'b', 'c.d'];
const op = fc.record({ subscribe: fc.boolean(), topic: fc.constantFrom(...TOPICS), listener: fc.nat(2) });

describe('broker topic registries (property, against real servers)', () => {
  let redis: Service;
  let nats: Service;
  beforeAll(async () => {
    redis = await startRedis();
    nats = await startNats();
  });
  afterAll(async () => {
    await redis?.stop();
    await nats?.stop();
  });

  for (const kind of ['RedisBroker', 'NatsBroker'] as const) {
    it(`${kind}: subscribe/unsubscribe in any order keeps exactly the topics with listeners, and delivers only to them`, async () => {
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
          const prefix = kind === 'RedisBroker' ? `r${round}:` : `r${round}`;
          round++;
          const make = (): RedisBroker | NatsBroker => (kind === 'RedisBroker' ? new RedisBroker({ url: redis.url, prefix }) : new NatsBroker({ servers: nats.url, prefix }));
          const broker = make();
          const publisher = make();
          const checker = kind === 'RedisBroker' ? createClient({ url: redis.url }) : undefined;
          try {
            await Promise.all([broker.ready(), publisher.ready(), checker?.connect()]);
            const got: string[][] = [[], [], []];
            const listeners: BrokerListener[] = [0, 1, 2].map((i) => (m: BrokerMessage) => void got[i]!.push(`${m.topic}:${text(m.data)}`));
            const model = new Map<string, Set<number>>();
            for (const { subscribe, topic, listener } of ops) {
              const set = model.get(topic) ?? new Set<number>();
              if (subscribe) {
                set.add(listener);
                model.set(topic, set);
                await broker.subscribe(topic, listeners[listener]!);
              } else {
                set.delete(listener);
                if (set.size === 0) model.delete(topic);
                await broker.unsubscribe(topic, listeners[listener]!);
              }
            }
            expect(broker.topics.sort()).toEqual([...model.keys()].sort());
            for (const topic of TOPICS) expect(broker.listenerCount(topic)).toBe(model.get(topic)?.size ?? 0);
            // No leak on the server either: Redis holds exactly the channels of live topics.
            if (checker !== undefined) expect(((await checker.sendCommand(['PUBSUB', 'CHANNELS', `${prefix}*`])) as string[]).sort()).toEqual([...model.keys()].map((t) => prefix + t).sort());
            // Then each topic gets one message, and an end marker on every topic proves everything before it arrived.
            for (const topic of TOPICS) await publisher.publish({ topic, data: bytes('x'), binary: false, compress: false, origin: 'p' });
            const expected = [0, 1, 2].map((i) => TOPICS.filter((t) => model.get(t)?.has(i)).map((t) => `${t}:x`));
            // Delivery is asynchronous: wait until each listener has what the model says, then a little more for extras.
            await waitFor('deliveries', () => got.every((list, i) => list.length >= expected[i]!.length), 10_000);
            await new Promise((resolve) => setTimeout(resolve, 50));
            expect(got.map((list) => list.sort())).toEqual(expected.map((list) => list.sort()));
          } finally {
            await broker.close();
            await publisher.close();
            if (checker?.isOpen) checker.destroy();
          }
        }),
        { seed, numRuns },
      );
    }, 120_000);
  }
});
