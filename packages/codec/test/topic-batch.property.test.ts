// Property: `publishBatch(topic, messages)` writes to every subscriber
// exactly the bytes that one `publish` per message writes, whatever the
// messages (text, binary, empty, over 125 and 64 KiB bytes), the
// subscribers (joining, leaving, closing, draining or not), permessage-deflate
// (context takeover, shared no-context deflate, none) and the limits
// (topic backpressure with either policy, maxBufferedAmount). Two identical
// worlds run the same commands; one batches, the other publishes one by one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Connection } from '../src/protocol/connection.js';
import { createDeflateExtension } from '../src/protocol/deflate-extension.js';
import { pakoCompressor } from '../src/protocol/deflate-pako.js';
import type { DeflateParameters } from '../src/protocol/permessage-deflate.js';
import { prepareBatch } from '../src/protocol/prepared-batch.js';
import { prepareMessage } from '../src/protocol/prepared-message.js';
import { Opcode } from '../src/protocol/opcode.js';
import { ServerRegistry } from '../src/session/server-registry.js';
import { Session } from '../src/session/session.js';
import type { Transport, TransportSink } from '../src/session/transport.js';
import type { PublishOptions, TopicBackpressurePolicy } from '../src/session/topic-registry.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { zlibCompressor } from '../src/zlib/index.js';
import { DEFAULT_PARAMS } from './deflate-helpers.js';
import { settle } from './session-helpers.js';

const RUNS = Number(process.env['FW_FUZZ_RUNS'] ?? 200);
const SEED = Number(process.env['FW_FUZZ_SEED'] ?? 20261203);
const SUBSCRIBERS = 4;
const TOPIC = 't';

/** A transport that keeps every byte written and holds them as "buffered" until told to drain. */
class RecordingTransport implements Transport {
  readonly written: number[] = [];
  writes = 0;
  held = 0;
  sink: TransportSink | undefined;
  constructor(readonly capacity: number) {}
  get bufferedAmount(): number {
    return this.held;
  }
  write(chunks: readonly Uint8Array[]): boolean {
    this.writes++;
    for (const chunk of chunks) {
      for (const byte of chunk) this.written.push(byte);
      this.held += chunk.length;
    }
    return this.held < this.capacity;
  }
  drain(): void {
    this.held = 0;
    this.sink?.drain();
  }
  end(): void {}
  destroy(): void {}
  pause(): void {}
  resume(): void {}
}

type Deflate = 'none' | 'takeover' | 'shared';
interface SubscriberSetup {
  deflate: Deflate;
  threshold: number;
  capacity: number;
  maxBufferedAmount: number;
}
interface WorldSetup {
  /** pako deflates at once; node:zlib on its thread pool, so frames wait behind the extension meanwhile. */
  engine: 'pako' | 'zlib';
  limit: number;
  policy: TopicBackpressurePolicy;
  topicThreshold: number;
  subscribers: SubscriberSetup[];
}
type Data = string | Uint8Array;
type Command =
  | { op: 'publish'; messages: Data[]; binary: boolean | undefined; compress: boolean; except: number | undefined }
  | { op: 'subscribe' | 'unsubscribe' | 'close' | 'drain' | 'fragment' | 'finish'; who: number }
  | { op: 'settle' };

const NO_CONTEXT: DeflateParameters = { ...DEFAULT_PARAMS, serverNoContextTakeover: true };

function world(setup: WorldSetup) {
  const clock = new ManualClock();
  const compressor = setup.engine === 'pako' ? pakoCompressor() : zlibCompressor();
  const registry = new ServerRegistry({
    scheduler: clock,
    heartbeat: false,
    topicBackpressure: { limit: setup.limit, policy: setup.policy },
    topicDeflate: { compressor, threshold: setup.topicThreshold },
  });
  const subscribers = setup.subscribers.map((s) => {
    const transport = new RecordingTransport(s.capacity);
    const params = s.deflate === 'shared' ? NO_CONTEXT : DEFAULT_PARAMS;
    const extension = s.deflate === 'none' ? undefined : createDeflateExtension({ role: 'server', params, compressor, threshold: s.threshold });
    const connection = new Connection({ role: 'server', now: () => clock.now(), closeTimeout: 60_000, ...(extension !== undefined ? { extension } : {}) });
    const session = new Session({
      connection,
      transport,
      scheduler: clock,
      maxBufferedAmount: s.maxBufferedAmount,
      ...(s.deflate === 'none' ? {} : { extensions: s.deflate === 'shared' ? 'permessage-deflate; server_no_context_takeover' : 'permessage-deflate' }),
    });
    transport.sink = session;
    registry.add(session);
    return { session, transport, connection };
  });
  return { registry, subscribers };
}

const data: fc.Arbitrary<Data> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 65_530, max: 65_540 }).map((n) => new Uint8Array(n).fill(0x61)) },
);
const who = fc.integer({ min: 0, max: SUBSCRIBERS - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('publish' as const),
      messages: fc.array(data, { maxLength: 12 }),
      binary: fc.constantFrom(undefined, true),
      compress: fc.boolean(),
      except: fc.option(who, { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('subscribe' as const, 'unsubscribe' as const, 'close' as const, 'drain' as const), who }) },
  // A subscriber's own fragmented send in progress: publishes pass it over until it ends.
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('fragment' as const, 'finish' as const), who }) },
  { weight: 1, arbitrary: fc.constant({ op: 'settle' as const }) },
);
const subscriberSetup: fc.Arbitrary<SubscriberSetup> = fc.record({
  deflate: fc.constantFrom<Deflate>('none', 'none', 'takeover', 'shared'),
  threshold: fc.constantFrom(0, 30, 1024),
  capacity: fc.constantFrom(64, 2048, 1 << 30),
  maxBufferedAmount: fc.constantFrom(200, 5000, 1 << 30),
});
const worldSetup: fc.Arbitrary<WorldSetup> = fc.record({
  engine: fc.constantFrom<WorldSetup['engine']>('pako', 'pako', 'zlib'),
  limit: fc.constantFrom(50, 400, 70_000, 1 << 30),
  policy: fc.constantFrom<TopicBackpressurePolicy>('skip', 'close'),
  topicThreshold: fc.constantFrom(0, 30, 1024),
  subscribers: fc.array(subscriberSetup, { minLength: SUBSCRIBERS, maxLength: SUBSCRIBERS }),
});

describe('TopicRegistry.publishBatch property', () => {
  it('gives every subscriber the same bytes as one publish per message, and counts the same deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(worldSetup, fc.array(command, { maxLength: 30 }), async (setup, commands) => {
        const batched = world(setup);
        const single = world(setup);
        // node:zlib finishes on its thread pool, at no fixed time: wherever the test awaits, both worlds wait
        // for all their extension work and flushes, so each sees the same state (between awaits frames do
        // wait behind a deflate in flight, the same in both).
        const quiesce = async (): Promise<void> => {
          for (let i = 0; i < 1000; i++) {
            await settle(1);
            const pending = [batched, single].flatMap((w) => w.subscribers.map((s) => s.connection.pending()));
            if (pending.every((p) => p === undefined)) break;
            await Promise.all(pending);
          }
          await settle(1);
        };
        // Everyone starts subscribed: most publishes reach someone.
        for (const w of [batched, single]) for (const s of w.subscribers) s.session.subscribe(TOPIC);
        for (const c of commands) {
          if (c.op === 'publish') {
            const options = (w: typeof batched): PublishOptions => ({
              ...(c.binary !== undefined ? { binary: c.binary } : {}),
              compress: c.compress,
              except: c.except === undefined ? undefined : w.subscribers[c.except]!.session,
            });
            const got = batched.registry.topics.publishBatch(TOPIC, c.messages, options(batched));
            let expected = 0;
            for (const m of c.messages) expected += single.registry.topics.publish(TOPIC, m, options(single));
            expect(got).toBe(expected);
          } else if (c.op === 'settle') {
            await quiesce();
          } else {
            for (const w of [batched, single]) {
              const s = w.subscribers[c.who]!;
              if (c.op === 'subscribe') s.session.subscribe(TOPIC);
              else if (c.op === 'unsubscribe') s.session.unsubscribe(TOPIC);
              else if (c.op === 'close') s.session.close(1000);
              else if (c.op === 'fragment' || c.op === 'finish') {
                if (s.session.readyState === 1) s.session.send(c.op, { binary: true, fin: c.op === 'finish' });
              }
              else s.transport.drain();
            }
          }
        }
        await settle(2);
        await quiesce();
        for (let i = 0; i < SUBSCRIBERS; i++) {
          const a = batched.subscribers[i]!;
          const b = single.subscribers[i]!;
          expect(a.session.readyState).toBe(b.session.readyState);
          expect(a.session.closeInfo?.code).toBe(b.session.closeInfo?.code);
          expect(Buffer.from(a.transport.written).equals(Buffer.from(b.transport.written))).toBe(true);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('prepareBatch', () => {
  it('frames each message exactly as prepareMessage does, back to back', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 70_000 })), { maxLength: 8 }), (list) => {
        const opcodes = list.map(([text]) => (text ? Opcode.Text : Opcode.Binary));
        const payloads = list.map(([, payload]) => payload);
        const batch = prepareBatch(opcodes, payloads);
        const singles = list.map((_, i) => prepareMessage(opcodes[i]!, payloads[i]!));
        expect(Buffer.from(batch.frames).equals(Buffer.concat(singles.map((m) => m.frame)))).toBe(true);
        singles.forEach((single, i) => {
          const one = batch.message(i);
          expect(Buffer.from(one.frame).equals(Buffer.from(single.frame))).toBe(true);
          expect(Buffer.from(one.payload).equals(Buffer.from(single.payload))).toBe(true);
          expect(one.opcode).toBe(single.opcode);
        });
      }),
      { seed: SEED, numRuns: Math.min(RUNS, 100) },
    );
  });
});

describe('publishBatch', () => {
  it('hands an uncompressed subscriber the whole burst as one write, and refuses a non-array', async () => {
    const { registry, subscribers } = world({
      engine: 'pako',
      limit: 1 << 30,
      policy: 'close',
      topicThreshold: 0,
      subscribers: [{ deflate: 'none', threshold: 0, capacity: 1 << 30, maxBufferedAmount: 1 << 30 }],
    });
    const [s] = subscribers;
    s!.session.subscribe(TOPIC);
    expect(registry.topics.publishBatch(TOPIC, ['a', 'bc', new Uint8Array([1])])).toBe(3);
    await settle(1);
    expect(s!.transport.writes).toBe(1);
    expect(s!.transport.written).toEqual([0x81, 1, 0x61, 0x81, 2, 0x62, 0x63, 0x82, 1, 1]);
    expect(() => registry.topics.publishBatch(TOPIC, 'abc' as unknown as string[])).toThrow(/array/);
    expect(() => registry.topics.publishBatch('', ['a'])).toThrow();
    expect(registry.topics.publishBatch('nobody', ['a'])).toBe(0);
  });
});
