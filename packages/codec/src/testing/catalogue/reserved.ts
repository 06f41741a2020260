/**
 * Catalogue: reserved bits and reserved opcodes, RFC 6455 §5.2 and §11.8.
 *
 * @module
 */
import { AreaBuilder, closeBody, ev, failsWith, frame, hex, textFrame, txt } from './build.js';
import type { CatalogueCase, PayloadSpec } from './types.js';

const kinds: { name: string; opcode: number; payload: PayloadSpec }[] = [
  { name: 'text', opcode: 0x1, payload: txt('Hi') },
  { name: 'binary', opcode: 0x2, payload: hex('0102') },
  { name: 'ping', opcode: 0x9, payload: txt('p') },
  { name: 'pong', opcode: 0xa, payload: txt('p') },
  { name: 'close', opcode: 0x8, payload: closeBody(1000) },
];

function buildRsv(): CatalogueCase[] {
  const a = new AreaBuilder('reserved-bits');
  for (const bit of ['rsv1', 'rsv2', 'rsv3'] as const) {
    for (const k of kinds) {
      a.add('RFC 6455 §5.2', `${bit.toUpperCase()} set on a ${k.name} frame without an extension`, [frame(k.opcode, k.payload, { [bit]: true })], failsWith(1002));
    }
    a.add('RFC 6455 §5.2', `${bit.toUpperCase()} set on a continuation frame`,
      [textFrame('a', { fin: false }), frame(0x0, txt('b'), { [bit]: true })], failsWith(1002));
  }
  a.add('RFC 6455 §5.2', 'all three RSV bits set', [frame(0x1, txt('x'), { rsv1: true, rsv2: true, rsv3: true })], failsWith(1002));
  a.add('RFC 6455 §5.2', 'RSV bit after a good message', [textFrame('ok'), frame(0x2, hex('00'), { rsv2: true })], failsWith(1002, [ev.text('ok')]));
  return a.cases;
}

function buildOpcodes(): CatalogueCase[] {
  const a = new AreaBuilder('opcodes');
  for (const op of [0x3, 0x4, 0x5, 0x6, 0x7]) {
    a.add('RFC 6455 §5.2', `reserved non-control opcode 0x${op.toString(16)}`, [frame(op, txt('x'))], failsWith(1002));
  }
  for (const op of [0xb, 0xc, 0xd, 0xe, 0xf]) {
    a.add('RFC 6455 §5.2', `reserved control opcode 0x${op.toString(16)}`, [frame(op)], failsWith(1002));
  }
  a.add('RFC 6455 §5.2', 'reserved opcode 0x3 after a good message', [textFrame('ok'), frame(0x3)], failsWith(1002, [ev.text('ok')]));
  a.add('RFC 6455 §5.2', 'reserved opcode 0xb after a ping', [frame(0x9), frame(0xb)], failsWith(1002, [ev.ping()], [{ opcode: 0xa, payload: hex('') }]));
  a.add('RFC 6455 §5.2', 'reserved opcode 0x5 inside a fragmented message', [textFrame('a', { fin: false }), frame(0x5, txt('b'))], failsWith(1002));
  a.add('RFC 6455 §5.2', 'reserved opcode 0xe, fragmented', [frame(0xe, undefined, { fin: false })], failsWith(1002));
  return a.cases;
}

/** Reserved-bit cases. */
export const reservedBitCases: readonly CatalogueCase[] = buildRsv();
/** Reserved-opcode cases. */
export const opcodeCases: readonly CatalogueCase[] = buildOpcodes();
