/**
 * Catalogue: ping and pong, RFC 6455 §5.5.2-§5.5.3.
 *
 * @module
 */
import { AreaBuilder, ev, failsWith, fill, frame, hex, sent, stillOpen, textFrame, txt } from './build.js';
import type { CatalogueCase } from './types.js';

function build(): CatalogueCase[] {
  const a = new AreaBuilder('ping-pong');
  const s = 'RFC 6455 §5.5.2';
  a.add(s, 'empty ping is answered by an empty pong', [frame(0x9)], stillOpen([ev.ping()], [sent.pong()]));
  a.add(s, 'pong echoes the ping payload', [frame(0x9, txt('hello'))], stillOpen([ev.ping(txt('hello'))], [sent.pong(txt('hello'))]));
  a.add(s, 'ping with binary payload', [frame(0x9, hex('00ff10fe'))], stillOpen([ev.ping(hex('00ff10fe'))], [sent.pong(hex('00ff10fe'))]));
  a.add(s, 'ping of 125 bytes (largest control frame)', [frame(0x9, fill(0xfe, 125))], stillOpen([ev.ping(fill(0xfe, 125))], [sent.pong(fill(0xfe, 125))]));
  a.add('RFC 6455 §5.5', 'ping of 126 bytes is too long', [frame(0x9, fill(0xfe, 126))], failsWith(1002));
  a.add('RFC 6455 §5.5', 'fragmented ping (FIN clear)', [frame(0x9, txt('x'), { fin: false })], failsWith(1002));
  a.add('RFC 6455 §5.5', 'fragmented empty ping', [frame(0x9, undefined, { fin: false })], failsWith(1002));
  a.add('RFC 6455 §5.5.3', 'unsolicited pong is reported, not answered', [frame(0xa)], stillOpen([ev.pong()]));
  a.add('RFC 6455 §5.5.3', 'pong with payload', [frame(0xa, txt('beat'))], stillOpen([ev.pong(txt('beat'))]));
  a.add('RFC 6455 §5.5.3', 'pong of 125 bytes', [frame(0xa, fill(7, 125))], stillOpen([ev.pong(fill(7, 125))]));
  a.add('RFC 6455 §5.5', 'pong of 126 bytes is too long', [frame(0xa, fill(7, 126))], failsWith(1002));
  a.add('RFC 6455 §5.5', 'fragmented pong', [frame(0xa, txt('x'), { fin: false })], failsWith(1002));
  const ten = Array.from({ length: 10 }, (_, i) => frame(0x9, hex(i.toString(16).padStart(2, '0'))));
  a.add(s, 'ten pings get ten pongs, in order', ten,
    stillOpen(
      Array.from({ length: 10 }, (_, i) => ev.ping(hex(i.toString(16).padStart(2, '0')))),
      Array.from({ length: 10 }, (_, i) => sent.pong(hex(i.toString(16).padStart(2, '0')))),
    ));
  a.add(s, 'autoPong off: ping reported, no pong sent', [frame(0x9, txt('p'))], stillOpen([ev.ping(txt('p'))]), { autoPong: false });
  a.add('RFC 6455 §5.4', 'ping between fragments of a text message',
    [textFrame('Hel', { fin: false }), frame(0x9, txt('p')), frame(0x0, txt('lo'))],
    stillOpen([ev.ping(txt('p')), ev.text('Hello')], [sent.pong(txt('p'))]));
  a.add('RFC 6455 §5.4', 'pong between fragments of a binary message',
    [frame(0x2, hex('01'), { fin: false }), frame(0xa, txt('q')), frame(0x0, hex('02'))],
    stillOpen([ev.pong(txt('q')), ev.binary(hex('0102'))]));
  a.add(s, 'ping after a message, then a message', [textFrame('a'), frame(0x9), textFrame('b')], stillOpen([ev.text('a'), ev.ping(), ev.text('b')], [sent.pong()]));
  a.add(s, 'ping payload that is not UTF-8 is fine', [frame(0x9, hex('c0afed a080'))], stillOpen([ev.ping(hex('c0afeda080'))], [sent.pong(hex('c0afeda080'))]));
  return a.cases;
}

/** Ping/pong cases. */
export const pingPongCases: readonly CatalogueCase[] = build();
