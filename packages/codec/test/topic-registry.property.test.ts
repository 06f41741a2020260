// Property: the topic registry agrees with a plain model under any sequence
// of subscribe / unsubscribe / close / terminate / publish on real sessions,
// every client receives exactly the publishes the model predicts, in order,
// and nothing leaks: no empty topic, no closed session kept anywhere.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServerRegistry } from '../src/session/server-registry.js';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { sessionPair, settle } from './session-helpers.js';

const RUNS = Number(process.env['FW_FUZZ_RUNS'] ?? 300);
const SESSIONS = 4;
const TOPICS = ['a', 'b', 'c'] as const;

type Command =
  | { op: 'subscribe' | 'unsubscribe'; who: number; topic: string }
  | { op: 'close' | 'terminate' | 'peerClose'; who: number }
  | { op: 'publish'; topic: string; except: number | undefined };

const who = fc.integer({ min: 0, max: SESSIONS - 1 });
const topic = fc.constantFrom(...TOPICS);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('subscribe' as const, 'unsubscribe' as const), who, topic }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('close' as const, 'terminate' as const, 'peerClose' as const), who }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('publish' as const), topic, except: fc.option(who, { nil: undefined }) }) },
);

describe('TopicRegistry property: a model of topics', () => {
  it('matches the model, delivers exactly what it predicts, and frees every empty topic and closed session', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), fc.array(fc.nat(3), { maxLength: 40 }), async (commands, pauses) => {
        const clock = new ManualClock();
        const registry = new ServerRegistry({ scheduler: clock, heartbeat: false });
        const pairs = Array.from({ length: SESSIONS }, () =>
          sessionPair({ clock, serverConnection: { closeTimeout: 60_000 }, clientConnection: { closeTimeout: 60_000 } }),
        );
        const got: SessionMessage[][] = pairs.map(() => []);
        pairs.forEach((p, i) => {
          registry.add(p.server);
          p.client.on('message', (m) => got[i]!.push(m));
        });
        // The model: who is subscribed where, who may still receive, what each should get.
        const member = pairs.map(() => new Set<string>());
        const open = pairs.map(() => true);
        const expected: string[][] = pairs.map(() => []);
        // Published since the last settle: still in the session's output, lost if it is terminated.
        const unflushed = pairs.map(() => 0);
        let n = 0;
        for (const [step, c] of commands.entries()) {
          if (c.op === 'publish') {
            const text = `m${n++}`;
            const targets = member.flatMap((set, i) => (set.has(c.topic) && open[i] && i !== c.except ? [i] : []));
            const except = c.except === undefined ? undefined : pairs[c.except]!.server;
            expect(registry.topics.publish(c.topic, text, { except })).toBe(targets.length);
            for (const i of targets) {
              expected[i]!.push(text);
              unflushed[i]!++;
            }
          } else if (c.op === 'subscribe') {
            const fresh = open[c.who]! && !member[c.who]!.has(c.topic);
            expect(pairs[c.who]!.server.subscribe(c.topic)).toBe(fresh);
            if (fresh) member[c.who]!.add(c.topic);
          } else if (c.op === 'unsubscribe') {
            expect(pairs[c.who]!.server.unsubscribe(c.topic)).toBe(member[c.who]!.delete(c.topic));
          } else {
            const p = pairs[c.who]!;
            const alreadyClosed = p.server.readyState === 3;
            // Our close or terminate stops deliveries at once; the peer's close only once it arrived.
            if (c.op === 'close') p.server.close(1000);
            else if (c.op === 'terminate') p.server.terminate();
            else p.client.close(1000);
            if (c.op !== 'peerClose') open[c.who] = false;
            if (c.op === 'terminate' && !alreadyClosed) {
              member[c.who]!.clear();
              expected[c.who]!.splice(expected[c.who]!.length - unflushed[c.who]!);
            }
          }
          if ((pauses[step] ?? 0) > 0) {
            await settle(pauses[step]);
            unflushed.fill(0);
            // Whatever finished closing left every topic.
            pairs.forEach((p, i) => {
              if (p.server.readyState !== 1) open[i] = false;
              if (p.server.readyState === 3) member[i]!.clear();
            });
          }
          // The registry and the model agree after every step.
          for (const t of TOPICS) {
            const modelCount = member.filter((set) => set.has(t)).length;
            expect(registry.topics.subscriberCount(t)).toBe(modelCount);
          }
          expect(registry.topics.topics.sort()).toEqual(TOPICS.filter((t) => member.some((set) => set.has(t))));
          pairs.forEach((p, i) => expect([...p.server.topics].sort()).toEqual([...member[i]!].sort()));
        }
        await settle(3);
        got.forEach((messages, i) => expect(messages).toEqual(expected[i]));
        // Everyone leaves: nothing may remain.
        for (const p of pairs) p.server.terminate();
        expect(registry.topics.topics).toEqual([]);
        for (const t of TOPICS) expect(registry.topics.subscribers(t).size).toBe(0);
        for (const p of pairs) expect(p.server.topics.size).toBe(0);
      }),
      { numRuns: RUNS, seed: 1919 },
    );
  });
});
