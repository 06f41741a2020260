/**
 * Catalogue: fragmentation, RFC 6455 §5.4.
 *
 * @module
 */
import { AreaBuilder, closeFrame, ev, failsWith, frame, hex, peerCloses, sent, stillOpen, textFrame, txt } from './build.js';
import type { CatalogueCase } from './types.js';

function build(): CatalogueCase[] {
  const a = new AreaBuilder('fragmentation');
  const s = 'RFC 6455 §5.4';
  const nf = { fin: false };
  a.add(s, 'text in two fragments', [textFrame('Hel', nf), frame(0x0, txt('lo'))], stillOpen([ev.text('Hello')]));
  a.add(s, 'text in three fragments', [textFrame('a', nf), frame(0x0, txt('b'), nf), frame(0x0, txt('c'))], stillOpen([ev.text('abc')]));
  a.add(s, 'binary in two fragments', [frame(0x2, hex('0102'), nf), frame(0x0, hex('0304'))], stillOpen([ev.binary(hex('01020304'))]));
  a.add(s, 'empty first fragment', [textFrame('', nf), frame(0x0, txt('x'))], stillOpen([ev.text('x')]));
  a.add(s, 'empty last fragment', [textFrame('x', nf), frame(0x0)], stillOpen([ev.text('x')]));
  a.add(s, 'all fragments empty', [textFrame('', nf), frame(0x0, undefined, nf), frame(0x0)], stillOpen([ev.text('')]));
  a.add(s, 'one hundred 1-byte fragments',
    [frame(0x2, hex('00'), nf), ...Array.from({ length: 98 }, () => frame(0x0, hex('00'), nf)), frame(0x0, hex('00'))],
    stillOpen([ev.binary({ fill: 0, length: 100 })]));
  a.add(s, 'ping and pong interleaved in a message',
    [textFrame('a', nf), frame(0x9, txt('1')), frame(0x0, txt('b'), nf), frame(0xa, txt('2')), frame(0x0, txt('c'))],
    stillOpen([ev.ping(txt('1')), ev.pong(txt('2')), ev.text('abc')], [sent.pong(txt('1'))]));
  a.add(s, 'a fragmented message, then a whole one', [textFrame('a', nf), frame(0x0, txt('b')), textFrame('c')], stillOpen([ev.text('ab'), ev.text('c')]));
  a.add(s, 'continuation with no message open', [frame(0x0, txt('x'))], failsWith(1002));
  a.add(s, 'continuation with FIN clear and no message open', [frame(0x0, txt('x'), nf)], failsWith(1002));
  a.add(s, 'continuation after a finished message', [textFrame('done'), frame(0x0, txt('x'))], failsWith(1002, [ev.text('done')]));
  a.add(s, 'new text frame while a text message is open', [textFrame('a', nf), textFrame('b')], failsWith(1002));
  a.add(s, 'new binary frame while a text message is open', [textFrame('a', nf), frame(0x2, hex('01'))], failsWith(1002));
  a.add(s, 'new text frame while a binary message is open', [frame(0x2, hex('01'), nf), textFrame('b', nf)], failsWith(1002));
  a.add(s, 'close frame inside a fragmented message ends it', [textFrame('a', nf), closeFrame(1000)], peerCloses(1000));
  a.add(s, 'transport ends inside a fragmented message: 1006', [textFrame('a', nf), frame(0x0, txt('b'), nf)], stillOpen());
  a.add(s, 'fragmented binary with a ping between every fragment',
    [frame(0x2, hex('01'), nf), frame(0x9), frame(0x0, hex('02'), nf), frame(0x9), frame(0x0, hex('03'))],
    stillOpen([ev.ping(), ev.ping(), ev.binary(hex('010203'))], [sent.pong(), sent.pong()]));
  return a.cases;
}

/** Fragmentation cases. */
export const fragmentationCases: readonly CatalogueCase[] = build();
