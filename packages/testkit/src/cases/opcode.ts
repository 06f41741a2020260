// Reserved opcodes (RFC 6455 §5.2): 3-7 (data) and 0xB-0xF (control) fail the connection.
import type { Case } from '../case.js';
import { Opcode } from '../frames.js';
import { text } from '../judge.js';
import { failCase } from './kinds.js';

/** The reserved-opcode cases. */
export function opcodeCases(): Case[] {
  const cases: Case[] = [];
  for (const op of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
    const kind = op < 8 ? 'data' : 'control';
    cases.push(failCase({
      id: `opcode.reserved.${op}`,
      area: 'opcode',
      title: `frame with reserved ${kind} opcode ${op}`,
      rfc: 'RFC 6455 §5.2',
      codes: [1002],
      async play(w) {
        await w.send({ opcode: op, payload: 'reserved opcode' });
      },
    }));
    cases.push(failCase({
      id: `opcode.reserved.${op}.after-message`,
      area: 'opcode',
      title: `valid text, reserved opcode ${op}, then a ping (no pong allowed)`,
      rfc: 'RFC 6455 §5.2',
      codes: [1002],
      async play(w) {
        await w.sendBatch([{ opcode: Opcode.text, payload: 'valid first' }, { opcode: op, payload: '' }, { opcode: Opcode.ping, payload: 'after' }]);
        return [text('valid first')];
      },
    }));
  }
  return cases;
}
