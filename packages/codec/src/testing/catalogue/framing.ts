/**
 * Catalogue: base framing, RFC 6455 §5.1-§5.3 and §5.6.
 *
 * @module
 */
import { AreaBuilder, closeFrame, ev, fill, frame, hex, peerCloses, stillOpen, textFrame, txt, failsWith } from './build.js';
import type { CatalogueCase } from './types.js';

function build(): CatalogueCase[] {
  const a = new AreaBuilder('framing');
  a.add('RFC 6455 §5.6', 'a short text message', [textFrame('Hello')], stillOpen([ev.text('Hello')]));
  a.add('RFC 6455 §5.6', 'an empty text message', [textFrame('')], stillOpen([ev.text('')]));
  a.add('RFC 6455 §5.6', 'an empty binary message', [frame(0x2)], stillOpen([ev.binary(hex(''))]));
  a.add('RFC 6455 §5.6', 'a binary message with every byte value', [frame(0x2, hex(allBytes()))], stillOpen([ev.binary(hex(allBytes()))]));
  for (const length of [1, 125, 126, 127, 65535, 65536, 70000]) {
    a.add(
      'RFC 6455 §5.2',
      `binary payload of ${length} bytes (${length <= 125 ? '7-bit' : length <= 65535 ? '16-bit' : '64-bit'} length)`,
      [frame(0x2, fill(0xab, length))],
      stillOpen([ev.binary(fill(0xab, length))]),
    );
  }
  a.add('RFC 6455 §5.2', 'text payload of 126 bytes (16-bit length)', [frame(0x1, fill(0x2a, 126))], stillOpen([ev.text('*'.repeat(126))]));
  a.add('RFC 6455 §5.6', 'two messages back to back', [textFrame('one'), frame(0x2, hex('0102'))], stillOpen([ev.text('one'), ev.binary(hex('0102'))]));
  a.add('RFC 6455 §5.6', 'a leading U+FEFF is message content, not a BOM to strip', [textFrame('\ufeffA')], stillOpen([ev.text('\ufeffA')]));
  a.add('RFC 6455 §5.1', 'masking violation: unmasked to a server / masked to a client', [textFrame('Hello', { invertMask: true })], failsWith(1002));
  a.add('RFC 6455 §5.1', 'masking violation after a good message', [textFrame('ok'), frame(0x2, hex('00'), { invertMask: true })], failsWith(1002, [ev.text('ok')]));
  a.add('RFC 6455 §5.2', '64-bit length with the most significant bit set', [frame(0x2, hex('00'), { lengthTopBit: true })], failsWith(1002));
  a.add('RFC 6455 §7.1.5', 'transport ends with no frame at all: 1006', [], stillOpen());
  a.add('RFC 6455 §7.1.5', 'transport ends inside a frame header: 1006', [{ kind: 'partial', frame: { opcode: 0x2, payload: fill(1, 300) }, bytes: 3 }], stillOpen());
  a.add('RFC 6455 §7.1.5', 'transport ends inside a payload: 1006', [{ kind: 'partial', frame: { opcode: 0x2, payload: fill(1, 300) }, bytes: 100 }], stillOpen());
  a.add('RFC 6455 §5.6', 'messages then a clean close', [textFrame('a'), frame(0x2, txt('b')), closeFrame(1000)], peerCloses(1000, '', [ev.text('a'), ev.binary(txt('b'))]));
  return a.cases;
}

function allBytes(): string {
  let s = '';
  for (let i = 0; i < 256; i++) s += i.toString(16).padStart(2, '0');
  return s;
}

/** Framing cases. */
export const framingCases: readonly CatalogueCase[] = build();
