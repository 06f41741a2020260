// Property tests of the hub's backend flags and metrics text: --redis /
// --nats URL checking, password redaction, the hub's Prometheus families and
// the refusal counters. Fixed seed (FW_FUZZ_SEED, default 42); FW_FUZZ_RUNS
// for longer runs by hand.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli-error.js';
import { checkedUrl, redacted } from '../src/hub/backend.js';
import { HubCounters, formatHubPrometheus } from '../src/hub/hub-metrics.js';

const seed = Number(process.env.FW_FUZZ_SEED ?? 42);
const runs = Number(process.env.FW_FUZZ_RUNS ?? 1000);
const settings = { numRuns: runs, seed };

const SCHEMES = ['redis:', 'rediss:'] as const;

describe('--redis / --nats URLs', () => {
  it('any string is either returned as given (a URL with an allowed scheme) or refused with a CliError, never another error', () => {
    const candidate = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.tuple(fc.constantFrom('redis://', 'rediss://', 'nats://', 'http://', 'redis:', ''), fc.string({ maxLength: 40 })).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(candidate, (value) => {
        let result: string;
        try {
          result = checkedUrl('redis', value, SCHEMES);
        } catch (error) {
          expect(error).toBeInstanceOf(CliError);
          expect((error as CliError).message).toMatch(/^hub: --redis /);
          return;
        }
        expect(result).toBe(value);
        expect(SCHEMES).toContain(new URL(value).protocol);
      }),
      settings,
    );
  });

  it('redacted never shows the password, and keeps scheme, host and port', () => {
    const word = fc.stringMatching(/^[a-z0-9]{1,12}$/);
    const secret = fc.stringMatching(/^[A-Z][A-Z0-9]{7,15}$/); // upper case: cannot occur in the rest, which is lower case
    fc.assert(
      fc.property(fc.constantFrom('redis', 'rediss', 'nats'), fc.option(word, { nil: undefined }), secret, word, fc.integer({ min: 1, max: 65535 }), (scheme, user, password, host, port) => {
        const value = `${scheme}://${user ?? ''}:${password}@${host}:${port}`;
        const shown = redacted(value);
        expect(shown).not.toContain(password);
        const url = new URL(shown);
        const original = new URL(value);
        expect([url.protocol, url.hostname, url.port, url.username]).toEqual([original.protocol, original.hostname, original.port, original.username]);
      }),
      settings,
    );
  });
});

/** Parse the exposition text: samples by `name{labels}`, checking HELP/TYPE come first for each family. */
function parseExposition(text: string): Map<string, number> {
  expect(text.endsWith('\n')).toBe(true);
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-z_]+) (.+)$/.exec(line);
    if (comment !== null) {
      if (comment[1] === 'TYPE') {
        expect(['counter', 'gauge']).toContain(comment[3]);
        typed.add(comment[2]!);
      }
      continue;
    }
    const sample = /^([a-z_]+)(\{[a-z]+="[^"\\\n]*"\})? (\d+)$/.exec(line);
    expect(sample, line).not.toBeNull();
    expect(typed.has(sample![1]!), `${sample![1]} typed before its samples`).toBe(true);
    const key = sample![1]! + (sample![2] ?? '');
    expect(samples.has(key), `${key} once`).toBe(false);
    samples.set(key, Number(sample![3]));
  }
  return samples;
}

describe('hub metrics', () => {
  it('any counters give well-formed Prometheus text whose samples read back as the counters', () => {
    const count = fc.nat({ max: 2 ** 40 });
    const statuses = fc.array(fc.constantFrom(401 as const, 403 as const, 1008 as const), { maxLength: 50 });
    fc.assert(
      fc.property(
        fc.record({ http: count, ws: count, failures: count, historyHttp: count, since: count, issued: count, used: count, deliveries: count, topics: count, up: fc.boolean() }),
        statuses,
        (c, refusals) => {
          const counters = new HubCounters();
          counters.publishes.http = c.http;
          counters.publishes.ws = c.ws;
          counters.publishFailures = c.failures;
          counters.historyReads.http = c.historyHttp;
          counters.historyReads.since = c.since;
          counters.ticketsIssued = c.issued;
          counters.ticketsUsed = c.used;
          for (const status of refusals) counters.refused(status);
          // The refusal table holds the three statuses at most, whatever comes.
          expect(counters.authRefused.size).toBeLessThanOrEqual(3);
          const text = formatHubPrometheus(counters, { deliveries: c.deliveries, topics: c.topics, backend: c.up ? { ok: true } : { ok: false, reason: 'x' } });
          const samples = parseExposition(text);
          expect(samples.get('framewire_hub_publishes_total{source="http"}')).toBe(c.http);
          expect(samples.get('framewire_hub_publishes_total{source="ws"}')).toBe(c.ws);
          expect(samples.get('framewire_hub_publish_failures_total')).toBe(c.failures);
          expect(samples.get('framewire_hub_history_reads_total{source="http"}')).toBe(c.historyHttp);
          expect(samples.get('framewire_hub_history_reads_total{source="since"}')).toBe(c.since);
          expect(samples.get('framewire_hub_deliveries_total')).toBe(c.deliveries);
          expect(samples.get('framewire_hub_tickets_issued_total')).toBe(c.issued);
          expect(samples.get('framewire_hub_tickets_used_total')).toBe(c.used);
          expect(samples.get('framewire_hub_topics')).toBe(c.topics);
          expect(samples.get('framewire_hub_backend_up')).toBe(c.up ? 1 : 0);
          for (const status of [401, 403, 1008] as const) {
            expect(samples.get(`framewire_hub_auth_refused_total{status="${status}"}`)).toBe(refusals.filter((s) => s === status).length);
          }
        },
      ),
      settings,
    );
  });
});
