// Ping and pong (RFC 6455 §5.5.2, §5.5.3).
import type { Case } from '../case.js';
import { Opcode } from '../frames.js';
import { closeNormally, describeEvent, pong, text } from '../judge.js';
import { fail, pass, worse } from '../verdict.js';
import { asciiText, echoCase, failCase, noiseBytes } from './kinds.js';

/** The ping/pong cases. */
export function pingCases(): Case[] {
  const cases: Case[] = [];
  for (const n of [0, 1, 125]) {
    cases.push(echoCase({
      id: `ping.payload.${n}`,
      area: 'ping',
      title: `ping with ${n} bytes of text payload gets a pong with the same payload`,
      rfc: 'RFC 6455 §5.5.2, §5.5.3',
      async play(w) {
        await w.send({ opcode: Opcode.ping, payload: asciiText(n) });
        return [pong(asciiText(n))];
      },
    }));
  }
  cases.push(echoCase({
    id: 'ping.payload.binary-125',
    area: 'ping',
    title: 'ping with 125 bytes of binary payload',
    rfc: 'RFC 6455 §5.5.2, §5.5.3',
    async play(w) {
      const data = noiseBytes(125, 9);
      await w.send({ opcode: Opcode.ping, payload: data });
      return [pong(data)];
    },
  }));
  cases.push(echoCase({
    id: 'ping.split.bytewise',
    area: 'ping',
    title: '125-byte ping written one byte at a time',
    rfc: 'RFC 6455 §5.5.2',
    async play(w) {
      await w.send({ opcode: Opcode.ping, payload: asciiText(125) }, { chunks: [1] });
      return [pong(asciiText(125))];
    },
  }));
  for (const n of [126, 200]) {
    cases.push(failCase({
      id: `ping.too-long.${n}`,
      area: 'ping',
      title: `ping with ${n} bytes (control frames are at most 125)`,
      rfc: 'RFC 6455 §5.5',
      codes: [1002],
      async play(w) {
        await w.send({ opcode: Opcode.ping, payload: asciiText(n) });
      },
    }));
  }
  cases.push(failCase({
    id: 'ping.fragmented',
    area: 'ping',
    title: 'ping without FIN followed by a continuation',
    rfc: 'RFC 6455 §5.5',
    codes: [1002],
    async play(w) {
      await w.sendBatch([{ opcode: Opcode.ping, payload: 'frag', fin: false }, { opcode: 0, payload: 'ment' }]);
    },
  }));
  for (const n of [0, 125]) {
    cases.push(echoCase({
      id: `ping.unsolicited-pong.${n}`,
      area: 'ping',
      title: `an unsolicited pong of ${n} bytes is ignored`,
      rfc: 'RFC 6455 §5.5.3',
      async play(w) {
        await w.send({ opcode: Opcode.pong, payload: asciiText(n) });
        await w.send({ opcode: Opcode.text, payload: 'after pong' });
        return [text('after pong')];
      },
    }));
  }
  cases.push(echoCase({
    id: 'ping.interleaved.messages',
    area: 'ping',
    title: 'text, ping, text in one write: echo, pong, echo in order',
    rfc: 'RFC 6455 §5.5.2, §5.4',
    async play(w) {
      await w.sendBatch([{ opcode: Opcode.text, payload: 'one' }, { opcode: Opcode.ping, payload: 'p' }, { opcode: Opcode.text, payload: 'two' }]);
      return [text('one'), pong('p'), text('two')];
    },
  }));
  cases.push({
    id: 'ping.many.10',
    area: 'ping',
    title: '10 pings in one write: pongs for all, or at least for the last',
    rfc: 'RFC 6455 §5.5.3',
    rules: 'Pass: pongs arrive in order, the last carries the last ping\'s payload (the RFC lets a peer answer only the most recent ping). Fail: no pong for the last ping, or a pong with a payload that was never sent.',
    modes: ['server', 'client'],
    async run(ctx) {
      const w = await ctx.open();
      const payloads = Array.from({ length: 10 }, (_, i) => `ping-${i}`);
      await w.sendBatch(payloads.map((p) => ({ opcode: Opcode.ping, payload: p })));
      let seen = 0;
      let last = -1;
      for (;;) {
        const ev = await w.next(ctx.deadline);
        if (ev.type !== 'pong') return fail(`expected pongs, got ${describeEvent(ev)}`);
        const i = payloads.indexOf(ev.data.toString());
        if (i <= last) return fail(`pong "${ev.data.toString()}" out of order or unknown`);
        last = i;
        seen++;
        if (i === payloads.length - 1) break;
      }
      return worse(pass(`${seen} pongs for 10 pings`), await closeNormally(ctx, w));
    },
  });
  return cases;
}
