// Property tests of the hub's pure parts: topic names, permission patterns,
// the since/live merge, the ticket store and the broker envelope. Fixed
// seed (FW_FUZZ_SEED, default 42); FW_FUZZ_RUNS for longer runs by hand.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBrokerData, encodeBrokerData } from '../src/hub/envelope.js';
import { LiveMerge } from '../src/hub/live-merge.js';
import { TICKET_TTL_MS, TicketStore } from '../src/hub/tickets.js';
import { MAX_HUB_TOPIC_LENGTH, MAX_PERMISSION_ENTRIES, Permissions, patternProblem, topicNameProblem } from '../src/hub/topic-rules.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const runs = Number(process.env.FW_FUZZ_RUNS ?? 1000);
const settings = { numRuns: runs, seed };

const NAME_CHARS = 'ABCxyz019_-.:@~';
const nameChar = fc.constantFrom(...NAME_CHARS);
const validName = fc
  .array(nameChar, { minLength: 1, maxLength: 20 })
  .map((chars) => chars.join(''))
  .filter((name) => !name.startsWith('.'));
/** Names from a small alphabet, so that patterns and names often overlap. */
const smallName = fc
  .array(fc.constantFrom('a', 'b', '.'), { minLength: 1, maxLength: 4 })
  .map((chars) => chars.join(''))
  .filter((name) => !name.startsWith('.'));

describe('topic names', () => {
  it('valid names are exactly 1-128 characters of A-Z a-z 0-9 _ - . : @ ~ not starting with "."', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 140, unit: 'grapheme-ascii' }), (name) => {
        const expected = name.length >= 1 && name.length <= MAX_HUB_TOPIC_LENGTH && /^[A-Za-z0-9_\-.:@~]+$/.test(name) && !name.startsWith('.');
        expect(topicNameProblem(name) === undefined).toBe(expected);
      }),
      settings,
    );
  });

  it('refuses what would be trouble in a path, a pattern or an internal topic', () => {
    for (const bad of ['', '.', '..', '.hidden', 'a/b', 'a b', 'a*', 'a%20b', 'a?b', 'ä', 'x'.repeat(129)]) {
      expect(topicNameProblem(bad), bad).toBeTypeOf('string');
    }
    for (const good of ['news', 'chat.room-1', 'user:42', 'a@b~c', 'x'.repeat(128)]) expect(topicNameProblem(good), good).toBeUndefined();
  });
});

describe('permission patterns', () => {
  it('a pattern is a valid name, a name-prefix with one trailing *, or * alone', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30, unit: 'grapheme-ascii' }), (pattern) => {
        const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : undefined;
        const expected =
          pattern === '*' ||
          (prefix === undefined ? topicNameProblem(pattern) === undefined : prefix.length > 0 && topicNameProblem(prefix) === undefined);
        expect(patternProblem(pattern) === undefined).toBe(expected);
      }),
      settings,
    );
  });

  it('rightsFor: the exact entry wins, else the longest matching * prefix, else nothing', () => {
    const rights = fc.record({ publish: fc.boolean(), subscribe: fc.boolean() });
    const pattern = fc.oneof(smallName, smallName.map((name) => `${name}*`), fc.constant('*'));
    fc.assert(
      fc.property(fc.dictionary(pattern, rights, { maxKeys: 8 }), smallName, (claim, topic) => {
        const permissions = Permissions.parse(claim);
        if (typeof permissions === 'string') throw new Error(permissions);
        // The model: a plain scan of the claim.
        let expected = claim[topic];
        if (expected === undefined) {
          let best = -1;
          for (const [key, value] of Object.entries(claim)) {
            if (!key.endsWith('*')) continue;
            const prefix = key.slice(0, -1);
            if (topic.startsWith(prefix) && prefix.length > best) {
              best = prefix.length;
              expected = value;
            }
          }
        }
        expect(permissions.rightsFor(topic)).toEqual(expected ?? { publish: false, subscribe: false });
      }),
      settings,
    );
  });

  it('malformed claims are refused with a reason, never thrown', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (claim) => {
        const result = Permissions.parse(claim);
        expect(result instanceof Permissions || typeof result === 'string').toBe(true);
      }),
      settings,
    );
    const tooMany = Object.fromEntries(Array.from({ length: MAX_PERMISSION_ENTRIES + 1 }, (_, i) => [`t${i}`, { publish: true }]));
    for (const bad of [null, [], 'x', { 'a*b': {} }, { a: { publish: 'yes' } }, { a: null }, { '**': {} }, tooMany]) {
      expect(Permissions.parse(bad), JSON.stringify(bad).slice(0, 40)).toBeTypeOf('string');
    }
    // Absent rights are false.
    const partial = Permissions.parse({ news: { subscribe: true } });
    expect(partial instanceof Permissions && partial.rightsFor('news')).toEqual({ publish: false, subscribe: true });
  });
});

describe('LiveMerge (since + live, no gap, no duplicate)', () => {
  const compare = (a: string, b: string): number => Number(a) - Number(b);
  const ids = (from: number, to: number): string[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => String(from + i));

  it('any interleaving of live arrivals with the history read gives each id after since once, in order', () => {
    // Model of the hub: n messages are appended in order 1..n. The client
    // subscribes live just before message `subscribedAt`; the history read
    // sees the messages appended before `readAt` (≥ subscribedAt); the log
    // keeps only the last `kept` of them. Live arrivals may be duplicated
    // (two paths) and arrive before or after the read finishes.
    const scenario = fc
      .record({ n: fc.integer({ min: 0, max: 40 }), since: fc.integer({ min: 0, max: 40 }), a: fc.nat(), b: fc.nat(), kept: fc.integer({ min: 0, max: 50 }), finishAt: fc.nat(), dups: fc.array(fc.nat(), { maxLength: 5 }) })
      .map(({ n, since, a, b, kept, finishAt, dups }) => {
        const s = Math.min(since, n);
        const subscribedAt = s + 1 + (a % (n - s + 1));
        const readAt = subscribedAt + (b % (n - subscribedAt + 2));
        return { n, since: s, subscribedAt, readAt, kept, finishAt, dups };
      });
    fc.assert(
      fc.property(scenario, ({ n, since, subscribedAt, readAt, kept, finishAt, dups }) => {
        const merge = new LiveMerge<{ id: string }>(compare, String(since), 1000);
        const live = ids(subscribedAt, n).map((id) => ({ id }));
        for (const d of dups) if (live.length > 0) live.splice(d % live.length, 0, { ...live[d % live.length]! });
        const all = ids(1, readAt - 1);
        const history = all.slice(Math.max(0, all.length - kept)).filter((id) => Number(id) > since).map((id) => ({ id }));
        const cut = finishAt % (live.length + 1);
        const delivered: string[] = [];
        for (const message of live.slice(0, cut)) for (const out of merge.push(message) ?? []) delivered.push(out.id);
        for (const out of merge.finish(history)) delivered.push(out.id);
        for (const message of live.slice(cut)) for (const out of merge.push(message) ?? []) delivered.push(out.id);
        // Each id once, increasing, all after since.
        for (let i = 1; i < delivered.length; i++) expect(Number(delivered[i])).toBeGreaterThan(Number(delivered[i - 1]));
        expect(delivered.every((id) => Number(id) > since)).toBe(true);
        // No gap: with everything still kept, exactly since+1..n.
        const firstKept = all.length - kept;
        if (firstKept <= since) expect(delivered).toEqual(ids(since + 1, n));
        // With messages appended before the read already heard live (one
        // process: delivery is synchronous), everything from the subscription
        // on arrives even when the log dropped old ones.
        const heardBeforeRead = live.slice(0, cut).filter((m) => Number(m.id) < readAt).length === live.filter((m) => Number(m.id) < readAt).length;
        if (heardBeforeRead) expect(delivered.filter((id) => Number(id) >= subscribedAt)).toEqual(ids(Math.max(subscribedAt, since + 1), n));
      }),
      settings,
    );
  });

  it('a full buffer is reported (the hub drops that subscriber) instead of growing', () => {
    const merge = new LiveMerge<{ id: string }>(compare, '0', 3);
    expect(merge.push({ id: '1' })).toEqual([]);
    expect(merge.push({ id: '2' })).toEqual([]);
    expect(merge.push({ id: '3' })).toEqual([]);
    expect(merge.push({ id: '4' })).toBeUndefined();
  });
});

describe('TicketStore', () => {
  const all = Permissions.ALL;

  it('any sequence of issue / redeem / time passing: a ticket works once, within its life, and the store stays bounded', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('issue' as const), jwtLeft: fc.integer({ min: 1, max: 60_000 }) }),
      fc.record({ kind: fc.constant('redeem' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (ops, max) => {
        let now = 1_000_000;
        const store = new TicketStore(max, () => now);
        const model = new Map<string, number>(); // ticket → expiry, unused ones
        const issued: string[] = [];
        for (const step of ops) {
          if (step.kind === 'wait') now += step.ms;
          else if (step.kind === 'issue') {
            const live = [...model.values()].filter((at) => at > now).length;
            const ticket = store.issue(all, now + step.jwtLeft);
            if (ticket === undefined) expect(live).toBeGreaterThanOrEqual(1);
            else {
              expect(ticket).toMatch(/^[A-Za-z0-9_-]{32}$/);
              expect(issued).not.toContain(ticket);
              issued.push(ticket);
              model.set(ticket, Math.min(now + TICKET_TTL_MS, now + step.jwtLeft));
            }
          } else if (issued.length > 0) {
            const ticket = issued[step.pick % issued.length]!;
            const expiry = model.get(ticket);
            const got = store.redeem(ticket);
            expect(got !== undefined).toBe(expiry !== undefined && expiry > now);
            model.delete(ticket);
          }
          expect(store.size).toBeLessThanOrEqual(max);
        }
      }),
      settings,
    );
  });
});

describe('broker envelope', () => {
  it('decode(encode(id, payload)) gives them back; junk decodes to undefined or something, never throws', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), fc.uint8Array({ maxLength: 64 }), (id, payload) => {
        fc.pre(new TextEncoder().encode(id).length <= 255);
        const decoded = decodeBrokerData(encodeBrokerData(id, payload));
        expect(decoded?.id).toBe(id);
        expect([...(decoded?.payload ?? [])]).toEqual([...payload]);
      }),
      settings,
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => void decodeBrokerData(junk)), settings);
  });
});
