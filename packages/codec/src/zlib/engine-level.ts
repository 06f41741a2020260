/**
 * zlib levels mean the same ratio on every runtime's node:zlib.
 *
 * Node bundles classic zlib (Chromium's fork), whose level 1 is
 * `deflate_fast` with dynamic Huffman trees. Bun and Deno ship engines in
 * the zlib-ng family, whose level 1 is `deflate_quick`: fixed Huffman codes
 * only, about 40% more bytes on JSON-like text (5,248 B against 3,771 B per
 * 16 KiB message in bench/README.md's deflate case). Their level 2 is the
 * classic level 1 (3,781 B there) and costs no more CPU.
 *
 * Detected by behaviour, not by runtime name (DESIGN.md: no "which runtime
 * am I" branches): deflate a sample that classic level 1 codes with dynamic
 * trees and look at the first block's type (RFC 1951 §3.2.3).
 *
 * @module
 */
import * as zlib from 'node:zlib';

/** RFC 1951 §3.2.3 BTYPE of a compressed block with fixed Huffman codes. */
const BTYPE_FIXED = 1;

/** ~4 KiB of JSON-like text: repetitive enough that a dynamic-tree block pays off at any classic level. */
function probeText(): Uint8Array {
  let text = '';
  for (let i = 0; text.length < 4096; i++) {
    text += `{"id":${i},"name":"item-${i % 37}","tags":["a${i % 5}","b${i % 7}"],"ok":${i % 2 === 0}},`;
  }
  return new TextEncoder().encode(text);
}

let levelOneIsQuick: boolean | undefined;

/**
 * True when this engine's level 1 emits fixed Huffman codes where classic
 * zlib builds dynamic trees (zlib-ng's `deflate_quick`). Probed once per
 * process, on first use, so loading the module costs nothing.
 */
export function engineLevelOneIsQuick(): boolean {
  if (levelOneIsQuick === undefined) {
    const out = zlib.deflateRawSync(probeText(), { level: 1 });
    levelOneIsQuick = out.length > 0 && ((out[0]! >> 1) & 3) === BTYPE_FIXED;
  }
  return levelOneIsQuick;
}

/**
 * The level to ask this engine for so the output matches classic zlib's
 * `level` (what Node and `ws` produce): 2 for 1 on a zlib-ng engine, the
 * level itself otherwise. Levels 2-9 are left alone: there the engines
 * differ by under 10% on the bench's text (measured in bench/README.md).
 */
export function engineLevel(level: number): number {
  return level === 1 && engineLevelOneIsQuick() ? 2 : level;
}
