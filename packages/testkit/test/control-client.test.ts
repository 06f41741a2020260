import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { clientCases, runClientSuite } from '../src/runner-client.js';
import { WS_KNOWN_NON_STRICT } from './helpers.js';

const driver = fileURLToPath(new URL('../drivers/ws-echo-client.mjs', import.meta.url));

// A handful of cases from each area; the full client catalogue runs in the matrix.
const SAMPLE = [
  'framing.length.text.126',
  'framing.length.binary.65536',
  'framing.mask.wrong.text',
  'ping.payload.125',
  'ping.too-long.126',
  'rsv.rsv2.text',
  'opcode.reserved.11',
  'fragmentation.ping-between.one-write',
  'fragmentation.invalid.text-in-text.per-frame',
  'utf8.valid.emoji.per-byte',
  'utf8.invalid.surrogate-d800.whole',
  'utf8.invalid.surrogate-d800.cut.4',
  'close.code.valid.3000',
  'close.code.invalid.1005',
  'close.then-text',
  'handshake.client.valid',
  'handshake.client.reject.wrong-accept',
  'handshake.client.reject.protocol-not-offered',
  'deflate.accept.plain',
  'deflate.accept.snct-cnct-smwb10-cmwb10',
  'deflate.message.fragmented.frames-7',
  'deflate.message.rsv1-on-continuation',
].join(',');

describe('the ws client as the control (sample of client cases)', () => {
  it('passes, with only known non-strict results', async () => {
    const report = await runClientSuite({ clientCmd: `"${process.execPath}" "${driver}"`, target: 'ws', filter: SAMPLE });
    const expected = clientCases({ filter: SAMPLE }).length; // a plain id also matches its longer variants
    expect(expected).toBeGreaterThanOrEqual(SAMPLE.split(',').length);
    expect(report.results).toHaveLength(expected);
    expect(report.results.filter((r) => r.verdict === 'fail').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
    expect(report.results.filter((r) => r.verdict === 'non-strict' && !WS_KNOWN_NON_STRICT.some((re) => re.test(r.id))).map((r) => r.id)).toEqual([]);
    expect(report.results.find((r) => r.id === 'utf8.invalid.surrogate-d800.cut.4')?.verdict).toBe('non-strict');
    expect(report.counts.pass).toBe(expected - 1);
  }, 120_000);
});
