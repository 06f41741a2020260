// Fragmentation with control frames interleaved (RFC 6455 §5.4).
import type { Case } from '../case.js';
import type { FrameSpec } from '../frames.js';
import { Opcode } from '../frames.js';
import type { Expected } from '../judge.js';
import { binary, closeNormally, pong, text } from '../judge.js';
import type { Wire } from '../wire.js';
import { echoCase, failCase, fragments, noiseBytes } from './kinds.js';

type Strategy = 'one-write' | 'per-frame' | 'bytewise';
const STRATEGIES: readonly Strategy[] = ['one-write', 'per-frame', 'bytewise'];

async function write(w: Wire, frames: readonly FrameSpec[], how: Strategy): Promise<void> {
  if (how === 'one-write') return w.sendBatch(frames);
  if (how === 'bytewise') return w.sendBatch(frames, { chunks: [1] });
  for (const f of frames) await w.send(f);
}

const bin10 = noiseBytes(100, 10);

/** Valid scenarios: frames and the replies they must produce. */
const VALID: readonly { name: string; title: string; frames: FrameSpec[]; expect: Expected[] }[] = [
  { name: 'text-2', title: 'text in 2 fragments', frames: fragments(Opcode.text, ['Hello, ', 'world']), expect: [text('Hello, world')] },
  { name: 'text-3', title: 'text in 3 fragments', frames: fragments(Opcode.text, ['frag', 'ment', 'ed']), expect: [text('fragmented')] },
  { name: 'text-10', title: 'text in 10 fragments', frames: fragments(Opcode.text, 'abcdefghij'.split('')), expect: [text('abcdefghij')] },
  { name: 'binary-2', title: 'binary in 2 fragments', frames: fragments(Opcode.binary, [bin10.subarray(0, 50), bin10.subarray(50)]), expect: [binary(bin10)] },
  { name: 'binary-10', title: 'binary in 10 fragments', frames: fragments(Opcode.binary, Array.from({ length: 10 }, (_, i) => bin10.subarray(i * 10, i * 10 + 10))), expect: [binary(bin10)] },
  { name: 'empty-first', title: 'empty first fragment', frames: fragments(Opcode.text, ['', 'tail']), expect: [text('tail')] },
  { name: 'empty-middle', title: 'empty middle fragment', frames: fragments(Opcode.text, ['head', '', 'tail']), expect: [text('headtail')] },
  { name: 'empty-last', title: 'empty final fragment', frames: fragments(Opcode.text, ['head', '']), expect: [text('head')] },
  { name: 'all-empty', title: 'three empty fragments make an empty message', frames: fragments(Opcode.text, ['', '', '']), expect: [text('')] },
  {
    name: 'ping-between',
    title: 'ping between two fragments: pong first, then the message',
    frames: [{ opcode: Opcode.text, payload: 'frag', fin: false }, { opcode: Opcode.ping, payload: 'mid' }, { opcode: 0, payload: 'ment' }],
    expect: [pong('mid'), text('fragment')],
  },
  {
    name: 'pings-between-each',
    title: 'a ping between each of 5 fragments',
    frames: ['a', 'b', 'c', 'd', 'e'].flatMap((p, i): FrameSpec[] => {
      const frame: FrameSpec = { opcode: i === 0 ? Opcode.text : 0, payload: p, fin: i === 4 };
      return i === 4 ? [frame] : [frame, { opcode: Opcode.ping, payload: `p${i}` }];
    }),
    expect: [pong('p0'), pong('p1'), pong('p2'), pong('p3'), text('abcde')],
  },
  {
    name: 'pong-between',
    title: 'unsolicited pong between fragments is ignored',
    frames: [{ opcode: Opcode.text, payload: 'frag', fin: false }, { opcode: Opcode.pong, payload: 'x' }, { opcode: 0, payload: 'ment' }],
    expect: [text('fragment')],
  },
  {
    name: 'two-messages',
    title: 'two fragmented messages back to back',
    frames: [...fragments(Opcode.text, ['one-', 'a']), ...fragments(Opcode.binary, ['two-', 'b'])],
    expect: [text('one-a'), binary('two-b')],
  },
];

/** Invalid scenarios: the connection must fail (with replies due before the failure). */
const INVALID: readonly { name: string; title: string; frames: FrameSpec[]; before: Expected[] }[] = [
  { name: 'continuation-first-fin', title: 'continuation frame (FIN) with no message started', frames: [{ opcode: 0, payload: 'orphan' }], before: [] },
  { name: 'continuation-first-nofin', title: 'continuation frame (no FIN) with no message started', frames: [{ opcode: 0, payload: 'orphan', fin: false }, { opcode: 0, payload: 'x' }], before: [] },
  { name: 'text-in-text', title: 'new text frame while a text message is open', frames: [{ opcode: Opcode.text, payload: 'open', fin: false }, { opcode: Opcode.text, payload: 'again' }], before: [] },
  { name: 'binary-in-text', title: 'binary frame while a text message is open', frames: [{ opcode: Opcode.text, payload: 'open', fin: false }, { opcode: Opcode.binary, payload: 'again' }], before: [] },
  { name: 'continuation-after-message', title: 'continuation after a complete message', frames: [{ opcode: Opcode.text, payload: 'done' }, { opcode: 0, payload: 'extra' }], before: [text('done')] },
  { name: 'close-fragmented', title: 'close frame without FIN', frames: [{ opcode: Opcode.close, payload: Buffer.from([0x03, 0xe8]), fin: false }, { opcode: 0, payload: '' }], before: [] },
];

/** The fragmentation cases. */
export function fragmentationCases(): Case[] {
  const cases: Case[] = [];
  for (const how of STRATEGIES) {
    for (const s of VALID) {
      cases.push(echoCase({
        id: `fragmentation.${s.name}.${how}`,
        area: 'fragmentation',
        title: `${s.title} (${how})`,
        rfc: 'RFC 6455 §5.4',
        async play(w) {
          await write(w, s.frames, how);
          return s.expect;
        },
      }));
    }
    for (const s of INVALID) {
      cases.push(failCase({
        id: `fragmentation.invalid.${s.name}.${how}`,
        area: 'fragmentation',
        title: `${s.title} (${how})`,
        rfc: 'RFC 6455 §5.4',
        codes: [1002],
        async play(w) {
          await write(w, s.frames, how);
          return s.before;
        },
      }));
    }
    cases.push({
      id: `fragmentation.close-between.${how}`,
      area: 'fragmentation',
      title: `close frame in the middle of a fragmented message (${how})`,
      rfc: 'RFC 6455 §5.4, §5.5.1',
      rules: 'Pass: the peer answers the close frame and the unfinished message is not delivered. Non-strict / fail: as for any close handshake.',
      modes: ['server', 'client'],
      async run(ctx) {
        const w = await ctx.open();
        await write(w, [{ opcode: Opcode.text, payload: 'unfinished', fin: false }], how);
        return closeNormally(ctx, w);
      },
    });
  }
  return cases;
}
