// The broker seam: MemoryBroker as a registry (property vs a model, no
// leak), and two ServerCores sharing one MemoryBroker over memory
// transports: a publish on one reaches the other's subscribers once, the
// broker subscriptions follow the topics that have subscribers, a failing
// broker reaches onBrokerError and never the publisher.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AdapterRuntime } from '../src/adapter/adapter-options.js';
import { connectTransport } from '../src/adapter/client-core.js';
import { ServerCore } from '../src/adapter/server-core.js';
import { MemoryBroker, type Broker, type BrokerListener, type BrokerMessage } from '../src/session/broker.js';
import type { Session } from '../src/session/session.js';
import type { SessionMessage } from '../src/session/session-inbox.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { createMemoryTransportPair, type MemoryTransport } from '../src/testing/memory-transport.js';
import { settle } from './session-helpers.js';

const RUNS = Number(process.env['FW_FUZZ_RUNS'] ?? 500);

/** A server core on a manual clock; `join(topic)` connects a client whose server session subscribes to `topic`. */
function server(options: ConstructorParameters<typeof ServerCore<object>>[0], clock: ManualClock) {
  const runtime: AdapterRuntime = { scheduler: clock };
  const sessions: Session[] = [];
  const core = new ServerCore<object>({ heartbeat: false, ...options }, runtime, {
    connection: (session, request) => {
      sessions.push(session);
      session.subscribe(request.path.slice(1));
    },
    rejected: () => {},
    close: () => {},
  });
  const join = async (topic: string) => {
    const open = (): Promise<MemoryTransport> => {
      const [clientEnd, serverEnd] = createMemoryTransportPair();
      core.upgrade(serverEnd, {});
      return Promise.resolve(clientEnd);
    };
    const client = await connectTransport(`ws://example.test/${topic}`, {}, { runtime, open });
    const got: SessionMessage[] = [];
    client.on('message', (m) => got.push(m));
    await settle();
    return { client, got, session: sessions.at(-1)! };
  };
  return { core, join };
}

describe('MemoryBroker', () => {
  it('property: delivers each publish to the listeners of its topic, once, and frees empty topics', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constantFrom('subscribe' as const, 'unsubscribe' as const), who: fc.nat(3), topic: fc.constantFrom('a', 'b') }),
      fc.record({ kind: fc.constant('publish' as const), topic: fc.constantFrom('a', 'b', 'c') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const broker = new MemoryBroker();
        const got: string[][] = [[], [], [], []];
        const listeners: BrokerListener[] = got.map((list) => (m: BrokerMessage) => void list.push(`${m.topic}:${m.origin}`));
        const model = got.map(() => new Set<string>());
        const expected: string[][] = [[], [], [], []];
        ops.forEach((o, n) => {
          if (o.kind === 'publish') {
            broker.publish({ topic: o.topic, data: new Uint8Array(0), binary: true, compress: false, origin: String(n) });
            model.forEach((set, i) => set.has(o.topic) && expected[i]!.push(`${o.topic}:${n}`));
          } else if (o.kind === 'subscribe') {
            broker.subscribe(o.topic, listeners[o.who]!);
            model[o.who]!.add(o.topic);
          } else {
            broker.unsubscribe(o.topic, listeners[o.who]!);
            model[o.who]!.delete(o.topic);
          }
          for (const t of ['a', 'b']) expect(broker.listenerCount(t)).toBe(model.filter((set) => set.has(t)).length);
          expect(broker.topics.sort()).toEqual(['a', 'b'].filter((t) => model.some((set) => set.has(t))));
        });
        expect(got).toEqual(expected);
      }),
      { numRuns: RUNS, seed: 1922 },
    );
  });
});

describe('servers sharing a MemoryBroker', () => {
  it('a publish on one server reaches the subscribers of both, once each; broker subscriptions follow the topics', async () => {
    const clock = new ManualClock();
    const broker = new MemoryBroker();
    const a = server({ broker }, clock);
    const b = server({ broker }, clock);
    const onA = await a.join('news');
    const onB = await b.join('news');
    const elsewhere = await b.join('sport');
    expect(broker.listenerCount('news')).toBe(2);
    expect(a.core.publish('news', 'from a')).toBe(1); // the local count
    expect(b.core.publish('news', Uint8Array.of(7), { except: onB.session })).toBe(0);
    await settle();
    expect(onA.got).toEqual(['from a', Uint8Array.of(7)]);
    expect(onB.got).toEqual(['from a']); // `except` applies where it was given
    expect(elsewhere.got).toEqual([]);
    onA.client.close(1000);
    await onA.session.closed;
    expect(broker.listenerCount('news')).toBe(1); // server a has no subscriber left
    expect(b.core.publish('news', 'only b')).toBe(1);
    await settle();
    expect(onA.got).toHaveLength(2);
    onB.client.close(1000);
    elsewhere.client.close(1000);
    await onB.session.closed;
    await elsewhere.session.closed;
    expect(broker.topics).toEqual([]);
  });

  it('a failing broker goes to onBrokerError; local subscribers are served and the publisher never throws', async () => {
    const clock = new ManualClock();
    const errors: string[] = [];
    const broken: Broker = {
      publish: () => Promise.reject(new Error('broker down')),
      subscribe: () => {
        throw new Error('cannot subscribe');
      },
      unsubscribe: () => {},
    };
    const a = server({ broker: broken, onBrokerError: (error) => void errors.push(error.message) }, clock);
    const sub = await a.join('t');
    expect(a.core.publish('t', 'still here')).toBe(1);
    await settle();
    expect(sub.got).toEqual(['still here']);
    expect(errors).toEqual(['cannot subscribe', 'broker down']);
    const quiet = server({ broker: broken }, clock); // no handler: ignored, nothing thrown
    await quiet.join('t');
    expect(quiet.core.publish('t', 'x')).toBe(1);
    await settle();
  });
});
