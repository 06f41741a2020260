// Reserved bits (RFC 6455 §5.2): without a negotiated extension, any RSV bit fails the connection.
import type { Case } from '../case.js';
import { closePayload, Opcode } from '../frames.js';
import { text } from '../judge.js';
import { failCase } from './kinds.js';

const TARGETS = [
  ['text', Opcode.text, 'reserved'],
  ['binary', Opcode.binary, 'reserved'],
  ['ping', Opcode.ping, 'reserved'],
  ['pong', Opcode.pong, 'reserved'],
  ['close', Opcode.close, closePayload(1000)],
] as const;

/** The reserved-bit cases. */
export function rsvCases(): Case[] {
  const cases: Case[] = [];
  for (let bits = 1; bits <= 7; bits++) {
    const rsv1 = (bits & 4) !== 0;
    const rsv2 = (bits & 2) !== 0;
    const rsv3 = (bits & 1) !== 0;
    const name = [rsv1 ? 'rsv1' : '', rsv2 ? 'rsv2' : '', rsv3 ? 'rsv3' : ''].filter(Boolean).join('+');
    for (const [kind, opcode, payload] of TARGETS) {
      cases.push(failCase({
        id: `rsv.${name}.${kind}`,
        area: 'rsv',
        title: `${kind} frame with ${name} set, no extension negotiated`,
        rfc: 'RFC 6455 §5.2',
        codes: [1002],
        async play(w) {
          await w.send({ opcode, payload, rsv1, rsv2, rsv3 });
        },
      }));
    }
    cases.push(failCase({
      id: `rsv.${name}.after-message`,
      area: 'rsv',
      title: `valid text, then a text frame with ${name}, then a ping (no pong allowed)`,
      rfc: 'RFC 6455 §5.2',
      codes: [1002],
      async play(w) {
        await w.sendBatch([
          { opcode: Opcode.text, payload: 'valid first' },
          { opcode: Opcode.text, payload: 'reserved', rsv1, rsv2, rsv3 },
          { opcode: Opcode.ping, payload: 'after' },
        ]);
        return [text('valid first')];
      },
    }));
  }
  return cases;
}
