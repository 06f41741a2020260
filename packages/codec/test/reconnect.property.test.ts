// Properties of the reconnecting client's parts: backoff delays stay in
// [0, min(maxDelay, initialDelay·factor^n)] and the count resets after a
// stable connection (on a manual clock); the offline queue matches a model;
// `since` replacement and the base64 / envelope decoders.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, backoffSettings } from '../src/adapter/reconnect-backoff.js';
import { SendQueue, utf8Length } from '../src/adapter/reconnect-queue.js';
import { HubEnvelopeError, decodeHubEnvelope, fromBase64, withSince } from '../src/adapter/reconnect-resume.js';
import { ConnectError, HandshakeStatusError } from '../src/session/connect-errors.js';
import { toBase64 } from '../src/protocol/base64.js';
import { harness, type Outcome } from './reconnect-helpers.js';
import { settle } from './session-helpers.js';

const SEED = Number(process.env['FW_FUZZ_SEED'] ?? 42);
const RUNS = Number(process.env['FW_FUZZ_RUNS'] ?? 200);
const params = { seed: SEED, numRuns: RUNS };
/** Properties that drive a whole client per run: fewer runs by default, FW_FUZZ_RUNS when set. */
const CLIENT_RUNS = Number(process.env['FW_FUZZ_RUNS'] ?? 60);

const backoffOptions = fc.record({
  initialDelay: fc.integer({ min: 0, max: 5000 }),
  factor: fc.double({ min: 1, max: 4, noNaN: true }),
  maxDelay: fc.integer({ min: 0, max: 120_000 }),
});

describe('backoff properties', () => {
  it('every delay is in [0, min(maxDelay, initialDelay·factor^n)]', () => {
    fc.assert(
      fc.property(backoffOptions, fc.nat({ max: 2000 }), fc.double({ min: 0, max: 1, noNaN: true }), (options, n, r) => {
        const settings = backoffSettings(options);
        const delay = backoffDelay(settings, n, () => r);
        const ceiling = options.initialDelay === 0 ? 0 : Math.min(options.maxDelay, options.initialDelay * options.factor ** n);
        expect(backoffCeiling(settings, n)).toBe(ceiling);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
      params,
    );
  });

  it('a client on a manual clock: delays within bounds as failures grow, and back to attempt 1 after a stable connection', async () => {
    await fc.assert(
      fc.asyncProperty(
        backoffOptions,
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 100, max: 10_000 }),
        async (options, randoms, failures, stableAfter) => {
          let i = 0;
          const script = Array.from({ length: failures }, () => new ConnectError('FW_ERR_CONNECTION_FAILED', 'refused'));
          const h = await harness(script, { ...options, stableAfter, pingInterval: 0, random: () => randoms[i++ % randoms.length]! });
          const seen: { attempt: number; delay: number }[] = [];
          h.client.on('reconnecting', (info) => seen.push(info));
          const settings = backoffSettings(options);
          // The first failure was reported before the listener: wait it out, then every later one.
          for (let k = 0; k < failures; k++) {
            await h.advance(h.clock.nextDue === undefined ? 0 : h.clock.nextDue - h.clock.now());
          }
          expect(h.client.online).toBe(true);
          expect(seen.map((s) => s.attempt)).toEqual(Array.from({ length: failures - 1 }, (_, k) => k + 2));
          for (const { attempt, delay } of seen) {
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThanOrEqual(backoffCeiling(settings, attempt - 1));
          }
          // Stay up for stableAfter, then drop: the count starts again at 1.
          await h.advance(stableAfter);
          seen.length = 0;
          h.servers.at(-1)!.terminate();
          await settle();
          expect(seen.map((s) => s.attempt)).toEqual([1]);
          expect(seen[0]!.delay).toBeLessThanOrEqual(backoffCeiling(settings, 0));
          h.client.close();
          expect(h.clock.pendingTimers).toBe(0);
        },
      ),
      { ...params, numRuns: CLIENT_RUNS },
    );
  });

  it('a connection dropped before stableAfter does not reset the count', async () => {
    const h = await harness([new ConnectError('FW_ERR_CONNECTION_FAILED', 'refused')], { stableAfter: 5000, pingInterval: 0, random: () => 0 });
    await h.advance(0);
    expect(h.client.online).toBe(true);
    const attempts: number[] = [];
    h.client.on('reconnecting', (info) => attempts.push(info.attempt));
    await h.advance(4999);
    h.servers.at(-1)!.terminate();
    await settle();
    expect(attempts).toEqual([2]);
    h.client.close();
  });
});

describe('offline queue properties', () => {
  it('matches a model: FIFO, never past either bound, refused pushes change nothing', () => {
    const item = fc.oneof(fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }));
    fc.assert(
      fc.property(fc.nat({ max: 10 }), fc.nat({ max: 100 }), fc.array(item, { maxLength: 40 }), (maxMessages, maxBytes, items) => {
        const queue = new SendQueue({ maxQueuedMessages: maxMessages, maxQueuedBytes: maxBytes });
        const model: (string | Uint8Array)[] = [];
        let bytes = 0;
        for (const data of items) {
          const size = typeof data === 'string' ? new TextEncoder().encode(data).byteLength : data.byteLength;
          const fits = model.length < maxMessages && bytes + size <= maxBytes;
          expect(queue.push(data, undefined)).toBe(fits);
          if (fits) {
            model.push(data);
            bytes += size;
          }
          expect(queue.length).toBeLessThanOrEqual(maxMessages);
          expect(queue.bytes).toBeLessThanOrEqual(maxBytes);
          expect(queue.bytes).toBe(bytes);
        }
        expect(queue.takeAll().map((m) => m.data)).toEqual(model);
        expect(queue.length).toBe(0);
      }),
      params,
    );
  });

  it('utf8Length agrees with TextEncoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).byteLength);
      }),
      params,
    );
  });
});

describe('resume properties', () => {
  const id = fc.string({ minLength: 1, maxLength: 20 });
  it('withSince sets exactly one since, keeps every other parameter and the fragment', () => {
    const key = fc.constantFrom('a', 'b', 'since', 'sinceX', 'token');
    const pairs = fc.array(fc.tuple(key, fc.stringMatching(/^[a-z0-9-]{0,5}$/)), { maxLength: 5 });
    fc.assert(
      fc.property(pairs, id, fc.boolean(), (query, since, hash) => {
        const search = query.map(([k, v]) => `${k}=${v}`).join('&');
        const href = `ws://h:1/topics/t${search === '' ? '' : `?${search}`}${hash ? '#frag' : ''}`;
        const out = new URL(withSince(href, since));
        expect(out.searchParams.getAll('since')).toEqual([since]);
        expect([...out.searchParams].filter(([k]) => k !== 'since')).toEqual(query.filter(([k]) => k !== 'since'));
        expect(out.pathname).toBe('/topics/t');
        expect(out.hash).toBe(hash ? '#frag' : '');
      }),
      params,
    );
  });

  it('fromBase64 inverts toBase64; garbage gives HubEnvelopeError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(fromBase64(toBase64(bytes))).toEqual(bytes);
      }),
      params,
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          fromBase64(text);
        } catch (error) {
          expect(error).toBeInstanceOf(HubEnvelopeError);
        }
      }),
      params,
    );
  });

  it('decodeHubEnvelope round-trips valid envelopes and refuses anything else with HubEnvelopeError', () => {
    fc.assert(
      fc.property(fc.string(), id, fc.oneof(fc.string(), fc.uint8Array({ maxLength: 50 })), (topic, messageId, data) => {
        const text = JSON.stringify(typeof data === 'string' ? { topic, id: messageId, data } : { topic, id: messageId, data: toBase64(data), binary: true });
        expect(decodeHubEnvelope(text)).toEqual({ topic, id: messageId, data });
      }),
      params,
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant('{"topic":"t","id":"","data":"x"}'), fc.constant('{"topic":"t","id":1.5,"data":"x"}')), (text) => {
        try {
          const message = decodeHubEnvelope(text);
          expect(typeof message.id).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(HubEnvelopeError);
        }
      }),
      params,
    );
  });
});

type Step =
  | { op: 'send' }
  | { op: 'serverClose'; code: number }
  | { op: 'silence' }
  | { op: 'advance'; ms: number }
  | { op: 'close' };

const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 2, arbitrary: fc.constant(new ConnectError('FW_ERR_CONNECTION_FAILED', 'refused')) },
  { weight: 1, arbitrary: fc.constant(new HandshakeStatusError(503, {}, new Uint8Array(), '503')) },
  { weight: 1, arbitrary: fc.constant(new HandshakeStatusError(401, {}, new Uint8Array(), '401')) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ op: 'send' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('serverClose' as const), code: fc.constantFrom(1000, 1001, 1006, 1008, 1011, 1012) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'silence' as const }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4000 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'close' as const }) },
);

describe('ReconnectingClient property: any sequence of failures, sends and closes', () => {
  it('online/offline alternate, close is last and once, the queue stays bounded, sends arrive in order at most once, and no timer is left', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(outcome, { maxLength: 8 }), fc.array(step, { maxLength: 30 }), fc.nat({ max: 4 }), async (script, steps, maxQueued) => {
        const h = await harness([...script], { initialDelay: 100, maxDelay: 2000, pingInterval: 1000, maxMissedPongs: 2, maxQueuedMessages: maxQueued, random: () => 0.5 });
        let sent = 0;
        const check = (): void => {
          const life = h.events.filter((e) => e.startsWith('online') || e.startsWith('offline') || e.startsWith('close'));
          for (let i = 0; i < life.length; i++) {
            const e = life[i]!;
            const previous = life[i - 1];
            if (e.startsWith('online')) expect(previous === undefined || previous.startsWith('offline')).toBe(true);
            if (e.startsWith('offline')) expect(previous?.startsWith('online')).toBe(true);
            if (e.startsWith('close')) expect(i).toBe(life.length - 1);
          }
          expect(h.events.filter((e) => e.startsWith('close')).length).toBeLessThanOrEqual(1);
          const closedEvent = h.events.some((e) => e.startsWith('close'));
          if (closedEvent) expect(h.events.at(-1)!.startsWith('close')).toBe(true);
          expect(h.client.state === 'closed').toBe(closedEvent);
          expect(h.client.online).toBe(h.client.state === 'online');
          expect(h.client.queuedMessages).toBeLessThanOrEqual(maxQueued);
          const arrived = h.received.flat().map((m) => Number(m.slice(1)));
          for (let i = 1; i < arrived.length; i++) expect(arrived[i]!).toBeGreaterThan(arrived[i - 1]!);
        };
        for (const s of steps) {
          const server = h.servers.at(-1);
          switch (s.op) {
            case 'send':
              if (h.client.state === 'closed' || h.client.state === 'closing') expect(() => h.client.send('late')).toThrow();
              else h.client.send(`m${sent++}`);
              break;
            case 'serverClose':
              if (server !== undefined && server.readyState === 1) {
                if (s.code === 1006) server.terminate();
                else server.closeWithLibraryCode(s.code);
              }
              break;
            case 'silence':
              if (server !== undefined) server.receive = () => {};
              break;
            case 'advance':
              await h.advance(s.ms);
              break;
            case 'close':
              h.client.close();
              break;
          }
          await settle();
          check();
        }
        h.client.close();
        await settle();
        await h.advance(10_000); // the sessions' own close timers run out too
        await settle();
        check();
        expect(h.client.state).toBe('closed');
        expect(h.clock.pendingTimers).toBe(0);
      }),
      { ...params, numRuns: CLIENT_RUNS * 2 },
    );
  });
});
