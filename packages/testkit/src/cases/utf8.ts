// UTF-8 in text messages (RFC 6455 §5.6, §8.1; RFC 3629): valid and invalid,
// whole and fragmented, and fail-fast: an invalid sequence should fail the
// connection as soon as the byte that makes it impossible arrives.
import type { Case } from '../case.js';
import { bytesOf, Opcode } from '../frames.js';
import { text } from '../judge.js';
import { firstInvalidByte } from '../utf8.js';
import { echoCase, failCase, failFastCase, fragments } from './kinds.js';

/** Valid strings, by name (noncharacters and BOM are valid UTF-8). */
export const VALID_UTF8: readonly (readonly [string, string])[] = [
  ['ascii', 'Hello, World!'],
  ['latin', 'Hello-µ@ßöäüàá-UTF-8!!'],
  ['greek', 'κόσμε'],
  ['nul', '\u0000'],
  ['u007f', '\u007f'],
  ['u0080', '\u0080'],
  ['u07ff', '\u07ff'],
  ['u0800', '\u0800'],
  ['ud7ff', '\ud7ff'],
  ['ue000', '\ue000'],
  ['ufeff-bom', '\ufeff'],
  ['ufdd0', '\ufdd0'],
  ['ufffd', '\ufffd'],
  ['ufffe', '\ufffe'],
  ['uffff', '\uffff'],
  ['u10000', '\u{10000}'],
  ['u10ffff', '\u{10ffff}'],
  ['emoji', '😀 → ✓'],
];

/** Invalid byte sequences, by name. */
export const INVALID_UTF8: readonly (readonly [string, readonly number[]])[] = [
  ['continuation-80', [0x80]],
  ['continuation-bf', [0xbf]],
  ['continuations-80-bf', [0x80, 0xbf]],
  ['lonely-start-c0', [0xc0, 0x20]],
  ['lonely-start-e0', [0xe0, 0x20]],
  ['lonely-start-f0', [0xf0, 0x20]],
  ['byte-fe', [0xfe]],
  ['byte-ff', [0xff]],
  ['bytes-fe-fe-ff-ff', [0xfe, 0xfe, 0xff, 0xff]],
  ['overlong-slash-2', [0xc0, 0xaf]],
  ['overlong-slash-3', [0xe0, 0x80, 0xaf]],
  ['overlong-slash-4', [0xf0, 0x80, 0x80, 0xaf]],
  ['overlong-slash-5', [0xf8, 0x80, 0x80, 0x80, 0xaf]],
  ['overlong-max-2', [0xc1, 0xbf]],
  ['overlong-max-3', [0xe0, 0x9f, 0xbf]],
  ['overlong-max-4', [0xf0, 0x8f, 0xbf, 0xbf]],
  ['overlong-nul', [0xc0, 0x80]],
  ['surrogate-d800', [0xed, 0xa0, 0x80]],
  ['surrogate-dfff', [0xed, 0xbf, 0xbf]],
  ['surrogate-pair', [0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80]],
  ['above-10ffff', [0xf4, 0x90, 0x80, 0x80]],
  ['start-f5', [0xf5, 0x80, 0x80, 0x80]],
  ['five-byte', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ['six-byte', [0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]],
  ['truncated-3-then-ascii', [0xe2, 0x82, 0x41]],
  ['truncated-2-at-end', [0xc2]],
  ['truncated-3-at-end', [0xe2, 0x82]],
  ['truncated-4-at-end', [0xf0, 0x9f, 0x98]],
];

/** The invalid payload: valid text around the bad sequence (nothing after it for the "at-end" ones). */
export function invalidPayload(name: string, seq: readonly number[]): Buffer {
  return Buffer.concat([bytesOf('κ'), Buffer.from(seq), name.endsWith('at-end') ? Buffer.alloc(0) : bytesOf('ε')]);
}

const RFC = 'RFC 6455 §5.6, §8.1';

/** The UTF-8 cases. */
export function utf8Cases(): Case[] {
  const cases: Case[] = [];
  for (const [name, s] of VALID_UTF8) {
    const data = bytesOf(s);
    cases.push(echoCase({
      id: `utf8.valid.${name}.whole`,
      area: 'utf8',
      title: `valid text "${name}" in one frame`,
      rfc: RFC,
      async play(w) {
        await w.send({ opcode: Opcode.text, payload: data });
        return [text(data)];
      },
    }));
    cases.push(echoCase({
      id: `utf8.valid.${name}.per-byte`,
      area: 'utf8',
      title: `valid text "${name}" with one frame per byte (code points split across frames)`,
      rfc: RFC,
      async play(w) {
        await w.sendBatch(fragments(Opcode.text, [...data].map((b) => Buffer.from([b]))));
        return [text(data)];
      },
    }));
  }
  const mixed = bytesOf('κόσμε-😀');
  for (let k = 1; k < mixed.length; k++) {
    cases.push(echoCase({
      id: `utf8.valid.cut.${k}`,
      area: 'utf8',
      title: `"κόσμε-😀" in two fragments cut after byte ${k}`,
      rfc: RFC,
      async play(w) {
        await w.sendBatch(fragments(Opcode.text, [mixed.subarray(0, k), mixed.subarray(k)]));
        return [text(mixed)];
      },
    }));
  }

  for (const [name, seq] of INVALID_UTF8) {
    const data = invalidPayload(name, seq);
    const bad = firstInvalidByte(data);
    cases.push(failCase({
      id: `utf8.invalid.${name}.whole`,
      area: 'utf8',
      title: `invalid UTF-8 (${name}) in one text frame`,
      rfc: RFC,
      codes: [1007],
      async play(w) {
        await w.send({ opcode: Opcode.text, payload: data });
      },
    }));
    const perByte = [...data].map((b) => Buffer.from([b]));
    if (bad === -1) {
      cases.push(failCase({
        id: `utf8.invalid.${name}.per-byte`,
        area: 'utf8',
        title: `invalid UTF-8 (${name}), one frame per byte; invalid only at message end`,
        rfc: RFC,
        codes: [1007],
        async play(w) {
          await w.sendBatch(fragments(Opcode.text, perByte));
        },
      }));
    } else {
      const frames = fragments(Opcode.text, perByte);
      cases.push(failFastCase({
        id: `utf8.invalid.${name}.per-byte`,
        area: 'utf8',
        title: `invalid UTF-8 (${name}), one frame per byte; fail-fast at byte ${bad}`,
        rfc: RFC,
        codes: [1007],
        first: (w) => w.sendBatch(frames.slice(0, bad + 1)),
        rest: (w) => w.sendBatch(frames.slice(bad + 1)),
      }));
    }
    // Cut at every position: fail-fast is expected when the first fragment alone is already invalid.
    for (let k = 1; k < data.length; k++) {
      const head = data.subarray(0, k);
      const tail = data.subarray(k);
      const fast = firstInvalidByte(head) !== -1;
      const title = `invalid UTF-8 (${name}) cut after byte ${k}${fast ? ', first fragment already invalid (fail-fast)' : ''}`;
      if (fast) {
        cases.push(failFastCase({
          id: `utf8.invalid.${name}.cut.${k}`,
          area: 'utf8',
          title,
          rfc: RFC,
          codes: [1007],
          first: (w) => w.send({ opcode: Opcode.text, payload: head, fin: false }),
          rest: (w) => w.send({ opcode: 0, payload: tail }),
        }));
      } else {
        cases.push(failCase({
          id: `utf8.invalid.${name}.cut.${k}`,
          area: 'utf8',
          title,
          rfc: RFC,
          codes: [1007],
          async play(w) {
            await w.sendBatch(fragments(Opcode.text, [head, tail]));
          },
        }));
      }
    }
  }
  return cases;
}
