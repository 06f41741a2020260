// formatPrometheus writes the text exposition format (0.0.4): a small parser
// of that format reads every sample back, with its labels unescaped, for
// any metrics and any label values (quotes, backslashes, newlines, Unicode).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPrometheus } from '../src/adapter/prometheus.js';
import type { ServerMetrics } from '../src/adapter/server-metrics.js';

const seed = Number(process.env['FW_FUZZ_SEED'] ?? 42);
const numRuns = Number(process.env['FW_FUZZ_RUNS'] ?? 300);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parser of the exposition format, written from its specification: families, then samples. */
function parseExposition(text: string): { types: Map<string, string>; helps: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta !== null) {
      (meta[1] === 'HELP' ? helps : types).set(meta[2]!, meta[3]!);
      continue;
    }
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (head === null) throw new Error(`bad line ${JSON.stringify(line)}`);
    let at = head[1]!.length;
    const labels: Record<string, string> = {};
    if (line[at] === '{') {
      at++;
      while (line[at] !== '}') {
        const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at));
        if (label === null) throw new Error(`bad label in ${JSON.stringify(line)}`);
        at += label[0].length;
        let value = '';
        for (;;) {
          const c = line[at++];
          if (c === undefined) throw new Error('unterminated label value');
          if (c === '"') break;
          if (c === '\\') {
            const e = line[at++];
            value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : (() => { throw new Error(`bad escape \\${e}`); })();
          } else value += c;
        }
        labels[label[1]!] = value;
        if (line[at] === ',') at++;
      }
      at++;
    }
    expect(line[at]).toBe(' ');
    const value = Number(line.slice(at + 1));
    expect(Number.isFinite(value)).toBe(true);
    samples.push({ name: head[1]!, labels, value });
  }
  return { types, helps, samples };
}

const count = fc.nat({ max: 2 ** 40 });
const text = fc.string({ unit: 'binary', maxLength: 20 });
const metricsArb: fc.Arbitrary<ServerMetrics> = fc.record({
  connections: count,
  connectionsTotal: count,
  handshakesPending: count,
  handshakesRefused: fc.uniqueArray(fc.record({ status: fc.integer({ min: 100, max: 599 }), reason: text, count }), {
    maxLength: 4,
    selector: (r) => `${r.status} ${r.reason}`,
  }),
  messagesIn: count,
  messagesOut: count,
  bytesIn: count,
  bytesOut: count,
  closeCodes: fc.uniqueArray(fc.record({ code: fc.integer({ min: 1000, max: 4999 }), count }), { maxLength: 4, selector: (c) => c.code }),
  deflate: fc.record({ inCompressed: count, inUncompressed: count, outUncompressed: count, outCompressed: count }),
});
const labelName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,8}$/).filter((n) => !['status', 'reason', 'code', 'stage'].includes(n));

describe('formatPrometheus', () => {
  it('round-trips through an exposition-format parser for any metrics and labels', () => {
    fc.assert(
      fc.property(metricsArb, fc.dictionary(labelName, text, { maxKeys: 3 }), (metrics, labels) => {
        const { types, helps, samples } = parseExposition(formatPrometheus(metrics, labels));
        // Every sample's family is declared, counters end in _total.
        for (const sample of samples) {
          expect(types.has(sample.name)).toBe(true);
          expect(helps.has(sample.name)).toBe(true);
          expect(types.get(sample.name) === 'counter').toBe(sample.name.endsWith('_total'));
        }
        const one = (name: string): number => {
          const found = samples.filter((s) => s.name === name);
          expect(found).toHaveLength(1);
          expect(found[0]!.labels).toEqual(labels);
          return found[0]!.value;
        };
        expect(one('framewire_connections_open')).toBe(metrics.connections);
        expect(one('framewire_connections_accepted_total')).toBe(metrics.connectionsTotal);
        expect(one('framewire_handshakes_pending')).toBe(metrics.handshakesPending);
        expect(one('framewire_messages_received_total')).toBe(metrics.messagesIn);
        expect(one('framewire_messages_sent_total')).toBe(metrics.messagesOut);
        expect(one('framewire_bytes_received_total')).toBe(metrics.bytesIn);
        expect(one('framewire_bytes_sent_total')).toBe(metrics.bytesOut);
        const stages = (name: string): Record<string, number> =>
          Object.fromEntries(samples.filter((s) => s.name === name).map((s) => [s.labels['stage'], s.value]));
        expect(stages('framewire_deflate_bytes_received_total')).toEqual({ compressed: metrics.deflate.inCompressed, uncompressed: metrics.deflate.inUncompressed });
        expect(stages('framewire_deflate_bytes_sent_total')).toEqual({ compressed: metrics.deflate.outCompressed, uncompressed: metrics.deflate.outUncompressed });
        const refused = samples.filter((s) => s.name === 'framewire_handshakes_refused_total');
        expect(refused.map((s) => ({ status: Number(s.labels['status']), reason: s.labels['reason'], count: s.value }))).toEqual(metrics.handshakesRefused);
        const closes = samples.filter((s) => s.name === 'framewire_closes_total');
        expect(closes.map((s) => ({ code: Number(s.labels['code']), count: s.value }))).toEqual(metrics.closeCodes);
        for (const s of [...refused, ...closes]) for (const [k, v] of Object.entries(labels)) expect(s.labels[k]).toBe(v);
      }),
      { seed, numRuns },
    );
  });

  it('refuses label names the format does not allow or the metrics use', () => {
    const empty = { connections: 0, connectionsTotal: 0, handshakesPending: 0, handshakesRefused: [], messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, closeCodes: [], deflate: { inCompressed: 0, inUncompressed: 0, outUncompressed: 0, outCompressed: 0 } };
    for (const bad of ['1x', 'a-b', '', '__name', 'code', 'status', 'reason', 'stage']) expect(() => formatPrometheus(empty, { [bad]: 'v' }), bad).toThrow(TypeError);
    expect(formatPrometheus(empty, { server: 'a\\b"c\nd' })).toContain('framewire_connections_open{server="a\\\\b\\"c\\nd"} 0\n');
  });
});
