// Limits and throughput: large messages, many small ones, oversized frames
// (RFC 6455 §10.4: implementations SHOULD limit frame and message sizes).
import type { Case, CaseContext } from '../case.js';
import { bytesOf, Opcode } from '../frames.js';
import type { Expected } from '../judge.js';
import { binary, closeNormally, describeEvent, expectFailure, expectReplies, text } from '../judge.js';
import type { Outcome } from '../verdict.js';
import { informational, pass, worse } from '../verdict.js';
import type { Wire } from '../wire.js';
import { asciiText, noiseBytes } from './kinds.js';

const MIB = 1024 * 1024;
const TIMED_RULES = 'Pass: every message echoed intact, then a clean close; the time taken is recorded in the reason. Fail: a missing or wrong echo.';

function rate(bytes: number, ms: number): string {
  return `${(bytes / MIB / Math.max(ms, 0.1) * 1000).toFixed(1)} MiB/s`;
}

async function timedEcho(ctx: CaseContext, w: Wire, send: () => Promise<void>, expected: readonly Expected[], bytes: number): Promise<Outcome> {
  const t0 = performance.now();
  await send();
  await expectReplies(ctx, w, expected);
  const ms = performance.now() - t0;
  const outcome = pass(`${expected.length} message(s), ${bytes} bytes each way, round trip ${ms.toFixed(1)} ms (${rate(bytes * 2, ms)}, ${(expected.length / ms * 1000).toFixed(0)} msg/s)`);
  return worse(outcome, await closeNormally(ctx, w));
}

/** The limits and throughput cases. */
export function limitsCases(): Case[] {
  const cases: Case[] = [];
  for (const [name, size, kind] of [['text-1m', MIB, 'text'], ['binary-1m', MIB, 'binary'], ['binary-4m', 4 * MIB, 'binary']] as const) {
    cases.push({
      id: `limits.large.${name}`,
      area: 'limits',
      title: `one ${kind} message of ${size / MIB} MiB, timed`,
      rfc: 'RFC 6455 §5.2',
      rules: TIMED_RULES,
      modes: ['server', 'client'],
      timeoutMs: 15_000,
      async run(ctx) {
        const w = await ctx.open();
        const data = kind === 'text' ? bytesOf(asciiText(size)) : noiseBytes(size, 5);
        return timedEcho(ctx, w, () => w.send({ opcode: kind === 'text' ? Opcode.text : Opcode.binary, payload: data }), [kind === 'text' ? text(data) : binary(data)], size);
      },
    });
  }
  for (const n of [1000, 10000]) {
    cases.push({
      id: `limits.many-small.${n}`,
      area: 'limits',
      title: `${n} text messages of 16 bytes in a burst, timed`,
      rfc: 'RFC 6455 §5.2',
      rules: TIMED_RULES,
      modes: ['server', 'client'],
      timeoutMs: 15_000,
      async run(ctx) {
        const w = await ctx.open();
        const msgs = Array.from({ length: n }, (_, i) => `msg ${String(i).padStart(12, '0')}`);
        const send = async (): Promise<void> => {
          for (let i = 0; i < n; i += 1000) await w.sendBatch(msgs.slice(i, i + 1000).map((m) => ({ opcode: Opcode.text, payload: m })));
        };
        return timedEcho(ctx, w, send, msgs.map((m) => text(m)), n * 16);
      },
    });
  }
  for (const [name, claimed] of [['128m', 128n * 1024n * 1024n], ['2pow62', 1n << 62n]] as const) {
    cases.push({
      id: `limits.oversized-frame.${name}`,
      area: 'limits',
      title: `frame header claiming ${name === '128m' ? '128 MiB' : '2^62 bytes'}, followed by only 1 KiB`,
      rfc: 'RFC 6455 §10.4, §7.4.1 (1009)',
      rules: 'Pass: fails with 1009 without waiting for the payload. Non-strict: another error code or TCP dropped. Informational: the peer waits for the payload (no size limit enforced, which §10.4 recommends but does not require). Fail: a protocol violation.',
      modes: ['server', 'client'],
      async run(ctx) {
        const w = await ctx.open();
        await w.send({ opcode: Opcode.binary, payload: noiseBytes(1024, 2), claimedLength: claimed });
        const outcome = await expectFailure(ctx, w, { codes: [1009] });
        if (outcome.verdict === 'fail' && /not failed/.test(outcome.reason)) return informational('no size limit enforced: the peer waited for the payload');
        return outcome;
      },
    });
  }
  cases.push({
    id: 'limits.oversized-message.fragments',
    area: 'limits',
    title: '1 MiB fragments of one message until the peer stops it (at most 128 MiB)',
    rfc: 'RFC 6455 §10.4, §7.4.1 (1009)',
    rules: 'Pass: fails with 1009 at its message limit. Non-strict: another error code or TCP dropped. Informational: 128 MiB accepted (no limit reached). Fail: a protocol violation.',
    modes: ['server', 'client'],
    timeoutMs: 20_000,
    async run(ctx) {
      const w = await ctx.open();
      const chunk = noiseBytes(MIB, 4);
      for (let i = 0; i < 128 && !w.hasEvent && !w.ended; i++) {
        await w.send({ opcode: i === 0 ? Opcode.binary : 0, payload: chunk, fin: false });
      }
      if (!w.hasEvent && !w.ended) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (!w.hasEvent && !w.ended) {
          const ev = await w.next(performance.now() + 50);
          return informational(`accepted 128 MiB of fragments without failing (${describeEvent(ev)})`);
        }
      }
      return expectFailure(ctx, w, { codes: [1009] });
    },
  });
  return cases;
}
