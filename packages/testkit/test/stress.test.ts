// The pure pieces of the stress suite: the malformed-handshake generator,
// the frames the floods and the slow reader write, the slope, the flags.
import fc from 'fast-check';
import { constants, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildFrame, FrameParser, Opcode } from '../src/frames.js';
import { headEnd, parseHead } from '../src/http.js';
import { checkClientRequest } from '../src/open.js';
import { CHECK_IDS } from '../src/stress/check.js';
import { stressSummaryLine } from '../src/stress/command.js';
import { BOMB_INFLATED_BYTES, deflateBomb } from '../src/stress/deflate-bomb.js';
import { malformedHandshakes, validRequest } from '../src/stress/handshake-variants.js';
import { classifyAnswer } from '../src/stress/malformed-handshakes.js';
import { type CheckResult, selectChecks, type StressReport } from '../src/stress/runner.js';
import { slopeMiBPerMinute, slopeWithoutJumps } from '../src/stress/rss.js';
import { applyScaleFlags, CI_SCALE, FULL_SCALE } from '../src/stress/scale.js';
import { sequencedPayload, sequenceOf, SLOW_READER_SIZES } from '../src/stress/slow-reader.js';
import { afterWarmup, SOAK_JUMPS } from '../src/stress/soak.js';

const HOST = '127.0.0.1:9001';

describe('malformed handshake generator', () => {
  const all = malformedHandshakes(HOST, FULL_SCALE.malformed);

  it('produces the full count of distinct requests with unique names', () => {
    expect(all).toHaveLength(1853);
    expect(new Set(all.map((v) => v.name)).size).toBe(all.length);
    expect(new Set(all.map((v) => v.bytes.toString('latin1'))).size).toBe(all.length);
  });

  it('never produces the valid request, and the valid request passes the kit’s own check', () => {
    const valid = validRequest(HOST);
    expect(checkClientRequest(parseHead(valid))).toBeNull();
    expect(all.some((v) => v.bytes.toString('latin1') === valid)).toBe(false);
  });

  it('is deterministic, and a smaller count is a prefix covering every family', () => {
    const again = malformedHandshakes(HOST, FULL_SCALE.malformed);
    expect(again.map((v) => v.name)).toEqual(all.map((v) => v.name));
    const ci = malformedHandshakes(HOST, CI_SCALE.malformed);
    expect(ci.map((v) => v.name)).toEqual(all.slice(0, ci.length).map((v) => v.name));
    const families = new Set(ci.map((v) => v.name.split(':')[0]));
    for (const family of ['method', 'version', 'target', 'host', 'upgrade', 'connection', 'key', 'ws-version', 'syntax', 'line', 'size', 'http10', 'truncated', 'garbage']) {
      expect(families).toContain(family);
    }
  });

  it('breaks a rule the kit itself judges, for every single-field mutation it can parse', () => {
    // The kit's head parser reads the first three tokens of the request line, so a fourth is the server's to refuse, not the kit's.
    const judged = all.filter((v) => /^(method|version|upgrade|connection|ws-version):/.test(v.name) && !v.name.includes(' + ') && v.name !== 'version:"HTTP/1.1 extra"');
    expect(judged.length).toBeGreaterThan(40);
    for (const v of judged) {
      const end = headEnd(v.bytes);
      expect(end, v.name).toBeGreaterThan(0);
      expect(checkClientRequest(parseHead(v.bytes.subarray(0, end).toString('latin1'))), v.name).not.toBeNull();
    }
  });

  it('half-closes exactly the variants that never complete a head', () => {
    for (const v of all) if (!v.endAfterWrite) expect(headEnd(v.bytes), v.name).toBeGreaterThan(0);
    for (const v of all.filter((x) => x.name.startsWith('truncated:'))) expect(headEnd(v.bytes)).toBe(-1);
  });
});

describe('answers to malformed handshakes', () => {
  it('classifies status lines', () => {
    expect(classifyAnswer('HTTP/1.1 101 Switching Protocols')).toBe('upgraded');
    expect(classifyAnswer('HTTP/1.1 400 Bad Request')).toBe('refused');
    expect(classifyAnswer('HTTP/1.1 426 Upgrade Required')).toBe('refused');
    expect(classifyAnswer('HTTP/1.1 503 Service Unavailable')).toBe('refused');
    expect(classifyAnswer('HTTP/1.1 200 OK')).toBe('other-status');
    expect(classifyAnswer('garbage')).toBe('other-status');
    expect(classifyAnswer(null)).toBe('closed');
  });
});

describe('frames the suite writes, parsed back', () => {
  it('the flood frames: a masked 125-byte ping and a masked 1 KiB binary message, any number in one write', () => {
    const ping = buildFrame({ opcode: Opcode.ping, payload: Buffer.alloc(125, 0x70) }, true);
    const message = buildFrame({ opcode: Opcode.binary, payload: Buffer.alloc(1024, 7) }, true);
    const parser = new FrameParser();
    const frames = parser.push(Buffer.concat([ping, ping, message, ping])).frames;
    expect(frames.map((f) => f.opcode)).toEqual([Opcode.ping, Opcode.ping, Opcode.binary, Opcode.ping]);
    expect(frames.every((f) => f.masked && f.fin && f.minimalLength)).toBe(true);
    expect(frames[0]?.payload.equals(Buffer.alloc(125, 0x70))).toBe(true);
    expect(frames[2]?.payload.equals(Buffer.alloc(1024, 7))).toBe(true);
    expect(parser.pending).toBe(0);
  });

  it('the slow reader’s sequenced messages round-trip and name their sequence number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (seq) => {
        const { opcode, data } = sequencedPayload(seq);
        expect(data.length).toBe(SLOW_READER_SIZES[seq % SLOW_READER_SIZES.length]);
        const frames = new FrameParser().push(buildFrame({ opcode, payload: data }, true)).frames;
        expect(frames).toHaveLength(1);
        expect(frames[0]?.opcode).toBe(opcode);
        expect(frames[0]?.payload.equals(data)).toBe(true);
        if (data.length >= `#${seq}#`.length) expect(sequenceOf(data)).toBe(seq);
        if (opcode === Opcode.text) expect(Buffer.from(data.toString('utf8'), 'utf8').equals(data)).toBe(true);
      }),
      { seed: 15, numRuns: 200 },
    );
  });

  it('the deflate bomb is small on the wire and inflates past the 64 MiB limit', () => {
    const bomb = deflateBomb();
    expect(bomb.length).toBeLessThan(128 * 1024);
    const inflated = inflateRawSync(Buffer.concat([bomb, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });
    expect(inflated.length).toBe(BOMB_INFLATED_BYTES);
    expect(inflated.length).toBeGreaterThan(64 * 1024 * 1024);
  });
});

describe('RSS slope', () => {
  it('recovers the slope of samples on a line, in MiB per minute', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 4096, noNaN: true }),
        fc.integer({ min: 2, max: 200 }),
        fc.integer({ min: 10, max: 60_000 }),
        (perMinute, base, n, period) => {
          const samples = Array.from({ length: n }, (_, i) => ({ t: i * period, mib: base + (perMinute * i * period) / 60_000 }));
          expect(slopeMiBPerMinute(samples)).toBeCloseTo(perMinute, 6);
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });

  it('is not fooled by one dip at the end, and is null without two distinct times', () => {
    const flat = Array.from({ length: 30 }, (_, i) => ({ t: i * 1000, mib: 100 }));
    expect(slopeMiBPerMinute(flat)).toBe(0);
    const dip = [...flat, { t: 30_000, mib: 90 }];
    expect(Math.abs(slopeMiBPerMinute(dip) ?? 0)).toBeLessThan(10 / 0.5);
    expect(slopeMiBPerMinute([{ t: 0, mib: 1 }])).toBeNull();
    expect(slopeMiBPerMinute([{ t: 5, mib: 1 }, { t: 5, mib: 2 }])).toBeNull();
  });

  it('takes one or two heap-sizing steps out, but not a leak', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 200 }),
        fc.double({ min: 0, max: 4096, noNaN: true }),
        fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), by: fc.double({ min: 1, max: 200, noNaN: true }) }), { maxLength: SOAK_JUMPS }),
        fc.double({ min: 5, max: 500, noNaN: true }),
        (n, base, steps, leakPerMinute) => {
          const period = 1000;
          const at = steps.map((s) => ({ index: 1 + Math.floor(s.at * (n - 1)), by: s.by }));
          const stepped = (i: number): number => at.reduce((sum, s) => sum + (i >= s.index ? s.by : 0), 0);
          // Flat with steps: nothing is left.
          const flat = Array.from({ length: n }, (_, i) => ({ t: i * period, mib: base + stepped(i) }));
          expect(Math.abs(slopeWithoutJumps(flat, SOAK_JUMPS) ?? 1)).toBeLessThan(1e-6);
          // A steady leak: losing two of n − 1 rises keeps most of it.
          const leak = Array.from({ length: n }, (_, i) => ({ t: i * period, mib: base + (leakPerMinute * i * period) / 60_000 }));
          const kept = slopeWithoutJumps(leak, SOAK_JUMPS) ?? 0;
          expect(kept).toBeLessThanOrEqual(leakPerMinute + 1e-6);
          expect(kept).toBeGreaterThan(leakPerMinute * (1 - (3 * SOAK_JUMPS) / (n - 1)));
        },
      ),
      { seed: 15, numRuns: 300 },
    );
  });

  it('passes the Deno soak series that failed CI on 2026-12-04 and fails the same window with a steady leak', () => {
    const seen = '119.4 119.4 134.9 172.5 175.3 175.3 175.3 175.8 175.8 175.8 175.8 175.9 175.9 175.9 175.6 175.6'.split(' ');
    const series = seen.map((mib, i) => ({ t: i * 1000, mib: Number(mib) }));
    expect(slopeMiBPerMinute(series)).toBeGreaterThan(120);
    expect(slopeWithoutJumps(series, SOAK_JUMPS)).toBeLessThan(20);
    const leaking = series.map((s, i) => ({ t: s.t, mib: s.mib + 2.5 * i }));
    expect(slopeWithoutJumps(leaking, SOAK_JUMPS)).toBeGreaterThan(120);
  });

  it('leaves the first quarter out as warm-up', () => {
    const samples = Array.from({ length: 20 }, (_, i) => ({ t: i, mib: i }));
    expect(afterWarmup(samples)[0]).toEqual({ t: 5, mib: 5 });
  });
});

describe('flags', () => {
  it('overrides a preset field by its flag and refuses nonsense', () => {
    const scale = applyScaleFlags(CI_SCALE, { pings: '1_000', 'soak-seconds': '5' });
    expect(typeof scale === 'string' ? scale : [scale.pings, scale.soakSeconds, scale.rst]).toEqual([1000, 5, CI_SCALE.rst]);
    expect(applyScaleFlags(CI_SCALE, { idle: '-1' })).toMatch(/--idle/);
    expect(applyScaleFlags(CI_SCALE, { idle: 'many' })).toMatch(/--idle/);
  });

  it('selects checks in play order, with skips, and names unknown ones', () => {
    expect(selectChecks(undefined, undefined)).toEqual([...CHECK_IDS]);
    expect(selectChecks('sigterm,connect-rst', undefined)).toEqual(['connect-rst', 'sigterm']);
    expect(selectChecks(undefined, 'soak,sigterm')).toEqual(CHECK_IDS.filter((id) => id !== 'soak' && id !== 'sigterm'));
    expect(selectChecks('nope', undefined)).toMatch(/unknown check/);
  });
});

describe('summary line', () => {
  const result = (id: CheckResult['id'], verdict: CheckResult['verdict'], reason: string): CheckResult => ({
    id,
    title: id,
    rule: '',
    verdict,
    reason,
    wallMs: 1,
    rss: { beforeMiB: null, peakMiB: null, afterMiB: null, growthMiB: null, limitMiB: null },
    probe: null,
    metrics: {},
  });
  const report = (results: CheckResult[]): StressReport => ({ name: 'node', scaleName: 'ci', scale: CI_SCALE, startedAt: '', wallMs: 58_000, passed: results.every((r) => r.verdict !== 'fail'), results });

  it('names each failed check with its reason, and only the failed ones', () => {
    const line = stressSummaryLine(report([result('soak', 'fail', 'liveness probe failed: timeout'), result('sigterm', 'known', 'x'), result('rst-mid', 'pass', 'ok')]));
    expect(line).toBe('node: FAIL (soak: liveness probe failed: timeout), 58 s');
    expect(stressSummaryLine(report([result('soak', 'pass', 'fine')]))).toBe('node: pass (no failures), 58 s');
    expect(stressSummaryLine(report([result('soak', 'fail', 'y'.repeat(5000))])).length).toBeLessThan(700);
  });
});
