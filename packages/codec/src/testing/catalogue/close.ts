/**
 * Catalogue: the close handshake, codes and reasons, RFC 6455 §5.5.1, §7
 * and §7.4.
 *
 * @module
 */
import { AreaBuilder, closeBody, closeFrame, ev, failsWith, fill, frame, hex, localClose, peerCloses, sent, stillOpen, textFrame, txt } from './build.js';
import type { CatalogueCase } from './types.js';

function build(): CatalogueCase[] {
  const a = new AreaBuilder('close');
  a.add('RFC 6455 §7.1.5', 'close without a body is reported as 1005 and echoed without a body', [frame(0x8)], peerCloses(undefined));
  a.add('RFC 6455 §5.5.1', 'close 1000 is echoed', [closeFrame(1000)], peerCloses(1000));
  a.add('RFC 6455 §5.5.1', 'close 1000 with a reason: reason reported, code echoed', [closeFrame(1000, 'bye')], peerCloses(1000, 'bye'));
  a.add('RFC 6455 §5.5.1', 'close reason with multi-byte UTF-8', [closeFrame(1001, 'Tschüß 😀')], peerCloses(1001, 'Tschüß 😀'));
  a.add('RFC 6455 §5.5', 'close reason of 123 bytes (largest)', [closeFrame(1000, 'r'.repeat(123))], peerCloses(1000, 'r'.repeat(123)));
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
    a.add('RFC 6455 §7.4.1', `close code ${code} is accepted and echoed`, [closeFrame(code)], peerCloses(code));
  }
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    a.add('RFC 6455 §7.4.1', `close code ${code} may not be sent: 1002`, [closeFrame(code)], failsWith(1002));
  }
  a.add('RFC 6455 §5.5.1', 'close body of 1 byte: 1002', [frame(0x8, hex('03'))], failsWith(1002));
  a.add('RFC 6455 §5.5.1', 'close reason that is not UTF-8: 1007', [frame(0x8, hex('03e8 c0af'))], failsWith(1007));
  a.add('RFC 6455 §5.5.1', 'close reason with a surrogate: 1007', [frame(0x8, hex('03e8 41eda080'))], failsWith(1007));
  a.add('RFC 6455 §5.5.1', 'close reason cut inside a sequence: 1007', [frame(0x8, hex('03e8 41e1bd'))], failsWith(1007));
  a.add('RFC 6455 §5.5', 'close of 126 bytes (reason of 124): 1002', [frame(0x8, { hex: '03e8' + '72'.repeat(124) })], failsWith(1002));
  a.add('RFC 6455 §5.5', 'fragmented close: 1002', [frame(0x8, closeBody(1000), { fin: false })], failsWith(1002));
  a.add('RFC 6455 §5.5.1', 'a text frame after the close frame is ignored', [closeFrame(1000), textFrame('late')], peerCloses(1000));
  a.add('RFC 6455 §5.5.1', 'a ping after the close frame is neither reported nor answered', [closeFrame(1000), frame(0x9, txt('p'))], peerCloses(1000));
  a.add('RFC 6455 §5.5.1', 'garbage after the close frame is ignored', [closeFrame(1000), frame(0x3, txt('junk')), frame(0x0, txt('x'))], peerCloses(1000));
  a.add('RFC 6455 §5.5.1', 'a second close frame is ignored', [closeFrame(1000), closeFrame(3000)], peerCloses(1000));
  a.add('RFC 6455 §5.5.1', 'messages before the close are delivered', [textFrame('a'), frame(0x9), closeFrame(1000, 'done')],
    peerCloses(1000, 'done', [ev.text('a'), ev.ping()], [sent.pong()]));
  a.add('RFC 6455 §7.1.2', 'we close (1000), the peer echoes: clean', [localClose(1000), closeFrame(1000)],
    { events: [ev.close(1000), ev.closed(1000, true)], sent: [sent.close(1000)] });
  a.add('RFC 6455 §7.1.2', 'we close (3000, reason), the peer echoes: clean', [localClose(3000, 'going'), closeFrame(3000)],
    { events: [ev.close(3000), ev.closed(3000, true)], sent: [sent.close(3000, 'going')] });
  a.add('RFC 6455 §7.1.2', 'we close without a code, the peer answers without a body', [localClose(), frame(0x8)],
    { events: [ev.close(1005), ev.closed(1005, true)], sent: [sent.close()] });
  a.add('RFC 6455 §7.1.5', 'the closed code is the one the peer sent back', [localClose(4000), closeFrame(1000)],
    { events: [ev.close(1000), ev.closed(1000, true)], sent: [sent.close(4000)] });
  a.add('RFC 6455 §7.1.2', 'we close, the peer still sends a message before its close', [localClose(1000), textFrame('last'), closeFrame(1000)],
    { events: [ev.text('last'), ev.close(1000), ev.closed(1000, true)], sent: [sent.close(1000)] });
  a.add('RFC 6455 §5.5.1', 'we close, a ping from the peer is reported but not answered', [localClose(1000), frame(0x9), closeFrame(1000)],
    { events: [ev.ping(), ev.close(1000), ev.closed(1000, true)], sent: [sent.close(1000)] });
  a.add('RFC 6455 §7.1.5', 'we close, the transport ends without an answer: 1006', [localClose(1000)],
    { events: [ev.closed(1006, false)], sent: [sent.close(1000)] });
  a.add('RFC 6455 §7.1.7', 'we close, the peer then breaks the protocol: no second close frame', [localClose(1000), frame(0x3)],
    { events: [ev.error(1002), ev.closed(1002, false)], sent: [sent.close(1000)] });
  a.add('RFC 6455 §7.1.5', 'transport ends after a message without a close: 1006', [textFrame('x')], stillOpen([ev.text('x')]));
  a.add('RFC 6455 §5.5', 'close with a 125-byte body containing a valid reason', [frame(0x8, { hex: '0bb8' + '61'.repeat(123) })], peerCloses(3000, 'a'.repeat(123)));
  a.add('RFC 6455 §5.5.1', 'close reason of U+FEFF keeps it', [closeFrame(1000, '\ufeff')], peerCloses(1000, '\ufeff'));
  a.add('RFC 6455 §5.5', 'close frame with 64-bit top bit length', [frame(0x8, fill(0, 2), { lengthTopBit: true })], failsWith(1002));
  return a.cases;
}

/** Close cases. */
export const closeCases: readonly CatalogueCase[] = build();
