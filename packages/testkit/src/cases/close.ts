// The closing handshake (RFC 6455 §5.5.1, §7.1, §7.4).
import type { Case } from '../case.js';
import { bytesOf, closePayload, Opcode } from '../frames.js';
import { binary, closeNormally, expectReplies, text } from '../judge.js';
import { asciiText, failCase } from './kinds.js';
import { INVALID_UTF8 } from './utf8.js';

const CLOSE_RULES =
  'Pass: the peer answers with a close frame (echoing the code, 1000, or no code) and TCP closes, the server closing first. Non-strict: another code in the reply, TCP dropped without a reply, or the server keeping TCP open. Fail: no reply, a protocol violation, or anything sent after the close frame.';

/** Codes valid on the wire (RFC 6455 §7.4.1, §7.4.2 and the IANA registry). */
export const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
/** Codes that must never be received (reserved, never-on-the-wire, out of range). */
export const INVALID_CODES = [0, 1, 500, 999, 1004, 1005, 1006, 1015, 1016, 1017, 1100, 1500, 2000, 2999, 5000, 6000, 10000, 65535];

/** The close cases. */
export function closeCases(): Case[] {
  const cases: Case[] = [];
  const closeCase = (id: string, title: string, run: Case['run'], rfc = 'RFC 6455 §5.5.1, §7.1.2'): Case => ({
    id, area: 'close', title, rfc, rules: CLOSE_RULES, modes: ['server', 'client'], run,
  });
  cases.push(closeCase('close.empty', 'close frame without a body', async (ctx) => closeNormally(ctx, await ctx.open(), null)));
  for (const code of VALID_CODES) {
    cases.push(closeCase(`close.code.valid.${code}`, `close with valid code ${code}`, async (ctx) => closeNormally(ctx, await ctx.open(), code), 'RFC 6455 §7.4.1'));
  }
  for (const code of INVALID_CODES) {
    cases.push(failCase({
      id: `close.code.invalid.${code}`,
      area: 'close',
      title: `close with code ${code}, which must not appear on the wire`,
      rfc: 'RFC 6455 §7.4.1, §7.4.2',
      codes: [1002],
      async play(w) {
        await w.send({ opcode: Opcode.close, payload: closePayload(code) });
      },
    }));
  }
  cases.push(failCase({
    id: 'close.payload.1-byte',
    area: 'close',
    title: 'close frame with a 1-byte body',
    rfc: 'RFC 6455 §5.5.1',
    codes: [1002],
    async play(w) {
      await w.send({ opcode: Opcode.close, payload: Buffer.from([0x03]) });
    },
  }));
  cases.push(closeCase('close.reason.short', 'close 1000 with a short reason', async (ctx) => closeNormally(ctx, await ctx.open(), 1000, 'bye')));
  cases.push(closeCase('close.reason.123-bytes', 'close 1000 with a 123-byte reason (the maximum)', async (ctx) => closeNormally(ctx, await ctx.open(), 1000, asciiText(123))));
  cases.push(closeCase('close.reason.multibyte', 'close 1000 with a 122-byte reason of 2-byte characters', async (ctx) => closeNormally(ctx, await ctx.open(), 1000, 'µ'.repeat(61))));
  cases.push(failCase({
    id: 'close.reason.124-bytes',
    area: 'close',
    title: 'close with a 124-byte reason (126-byte control frame)',
    rfc: 'RFC 6455 §5.5',
    codes: [1002],
    async play(w) {
      await w.send({ opcode: Opcode.close, payload: closePayload(1000, asciiText(124)) });
    },
  }));
  for (const [name, seq] of INVALID_UTF8.filter(([n]) => ['continuation-80', 'overlong-nul', 'surrogate-d800', 'above-10ffff', 'truncated-3-at-end', 'byte-ff'].includes(n))) {
    cases.push(failCase({
      id: `close.reason.invalid-utf8.${name}`,
      area: 'close',
      title: `close reason with invalid UTF-8 (${name})`,
      rfc: 'RFC 6455 §5.5.1, §8.1',
      codes: [1007, 1002],
      async play(w) {
        await w.send({ opcode: Opcode.close, payload: closePayload(1000, Buffer.concat([bytesOf('bye '), Buffer.from(seq)])) });
      },
    }));
  }
  for (const [kind, frame] of [
    ['text', { opcode: Opcode.text, payload: 'after close' }],
    ['binary', { opcode: Opcode.binary, payload: 'after close' }],
    ['ping', { opcode: Opcode.ping, payload: 'after close' }],
    ['close', { opcode: Opcode.close, payload: closePayload(1000) }],
  ] as const) {
    cases.push(closeCase(`close.then-${kind}`, `close 1000, then a ${kind} frame in the same write (must be ignored)`, async (ctx) => closeNormally(ctx, await ctx.open(), 1000, '', [frame])));
  }
  cases.push(closeCase('close.split.bytewise', 'close 1000 with a reason, written one byte at a time', async (ctx) => {
    const w = await ctx.open();
    return closeNormally(ctx, w, 1000, 'slow goodbye', [], { chunks: [1], delayMs: 2 });
  }));
  cases.push(closeCase('close.after-messages', 'three messages then close in one write: echoes, then the close reply', async (ctx) => {
    const w = await ctx.open();
    await w.sendBatch([{ opcode: Opcode.text, payload: 'a' }, { opcode: Opcode.text, payload: 'b' }, { opcode: Opcode.binary, payload: 'c' }]);
    await expectReplies(ctx, w, [text('a'), text('b'), binary('c')]);
    return closeNormally(ctx, w);
  }));
  return cases;
}
