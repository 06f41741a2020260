/**
 * Catalogue: UTF-8 in text messages, RFC 6455 §5.6 and §8.1 (with RFC 3629
 * §3-§4). Every vector is sent whole and split into two fragments at every
 * byte position. An invalid vector must fail with 1007 as soon as its first
 * impossible byte arrives: when that byte lies in the first fragment the
 * script stops there, without FIN, and the failure must already be reported.
 *
 * @module
 */
import { AreaBuilder, ev, failsWith, frame, hex, stillOpen, toHex } from './build.js';
import type { CatalogueCase } from './types.js';

const encoder = new TextEncoder();

/** Valid text, as JavaScript strings. */
const valid: { name: string; text: string }[] = [
  { name: 'Greek kosme', text: 'κόσμε' },
  { name: 'mixed Latin-1 supplement', text: 'Hello-µ@ßöäüàá' },
  { name: 'U+0080 and U+07FF (2-byte bounds)', text: '\u0080\u07ff' },
  { name: 'U+0800 and U+FFFF (3-byte bounds)', text: '\u0800\uffff' },
  { name: 'U+10000 and U+10FFFF (4-byte bounds)', text: '\u{10000}\u{10ffff}' },
  { name: 'U+D7FF and U+E000 (around the surrogates)', text: '\ud7ff\ue000' },
  { name: 'emoji', text: 'a😀b' },
  { name: 'CJK', text: '日本語' },
  { name: 'U+FFFD and U+FEFF', text: '\ufffd\ufeff' },
];

/**
 * Invalid byte sequences. `failAt` is the index of the first byte at which
 * no valid continuation exists; `failAt === bytes.length` means the input is
 * a valid prefix that FIN leaves unfinished.
 */
const invalid: { name: string; hex: string; failAt: number }[] = [
  { name: 'kosme, then a surrogate (ED A0 80), then "edited"', hex: 'cebae1bdb9cf83cebcceb5eda080656469746564', failAt: 12 },
  { name: 'a lone continuation byte', hex: '41 80 42', failAt: 1 },
  { name: 'overlong "/" in 2 bytes (C0 AF)', hex: '41 c0af', failAt: 1 },
  { name: 'overlong 2-byte C1 BF', hex: 'c1bf', failAt: 0 },
  { name: 'overlong "/" in 3 bytes (E0 80 AF)', hex: 'e080af 41', failAt: 1 },
  { name: 'overlong "/" in 4 bytes (F0 80 80 AF)', hex: 'f08080af', failAt: 1 },
  { name: 'U+110000 (F4 90 80 80), above the last code point', hex: '41 f4908080', failAt: 2 },
  { name: 'F5 lead byte', hex: 'f5808080', failAt: 0 },
  { name: 'FE and FF bytes', hex: '41 fe ff', failAt: 1 },
  { name: 'low surrogate U+DFFF (ED BF BF)', hex: '4142 edbfbf', failAt: 3 },
  { name: 'high surrogate U+D800 then low U+DC00 (CESU-8 pair)', hex: 'eda080edb080', failAt: 1 },
  { name: 'a 2-byte sequence cut by ASCII', hex: '61 c3 63', failAt: 2 },
  { name: 'a 4-byte sequence cut by ASCII', hex: 'f09f98 41', failAt: 3 },
  { name: 'ends inside a 2-byte sequence', hex: '61 ce', failAt: 2 },
  { name: 'ends inside a 3-byte sequence', hex: 'e1bd', failAt: 2 },
  { name: 'ends inside a 4-byte sequence', hex: '41 f09f98', failAt: 4 },
];

function build(): CatalogueCase[] {
  const a = new AreaBuilder('utf8');
  const rfc = 'RFC 6455 §8.1';
  for (const v of valid) {
    const bytes = encoder.encode(v.text);
    a.add(rfc, `valid: ${v.name}, whole`, [frame(0x1, hex(toHex(bytes)))], stillOpen([ev.text(v.text)]));
    for (let k = 1; k < bytes.length; k++) {
      a.add(rfc, `valid: ${v.name}, split at byte ${k}`,
        [frame(0x1, hex(toHex(bytes.subarray(0, k))), { fin: false }), frame(0x0, hex(toHex(bytes.subarray(k))))],
        stillOpen([ev.text(v.text)]));
    }
  }
  for (const v of invalid) {
    const digits = v.hex.replace(/\s+/g, '');
    const n = digits.length / 2;
    a.add(rfc, `invalid: ${v.name}, whole`, [frame(0x1, hex(digits))], failsWith(1007));
    for (let k = 1; k < n; k++) {
      const first = frame(0x1, hex(digits.slice(0, 2 * k)), { fin: false });
      // Fail fast: the impossible byte is in the first fragment, so no FIN is needed.
      const script = v.failAt < k ? [first] : [first, frame(0x0, hex(digits.slice(2 * k)))];
      a.add(rfc, `invalid: ${v.name}, split at byte ${k}${v.failAt < k ? ' (fails in the first fragment)' : ''}`, script, failsWith(1007));
    }
  }
  return a.cases;
}

/** UTF-8 cases. */
export const utf8Cases: readonly CatalogueCase[] = build();
