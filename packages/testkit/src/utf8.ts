// A tiny UTF-8 checker of the kit's own (RFC 3629 §4 table), used to decide
// where a fail-fast implementation must stop: the first byte after which no
// continuation could make the bytes valid.

/**
 * Index of the first byte at which `bytes` stops being a prefix of valid UTF-8,
 * or -1 when every prefix is still completable.
 */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return -1; // truncated: still completable
      const c = bytes[i + k] ?? 0;
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (c < min || c > max) return i + k;
    }
    i += need + 1;
  }
  return -1;
}

/** Whether `bytes` is complete, valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  if (firstInvalidByte(bytes) !== -1) return false;
  // A valid prefix is complete only when the last sequence is whole.
  let i = bytes.length - 1;
  let cont = 0;
  while (i >= 0 && ((bytes[i] ?? 0) & 0xc0) === 0x80 && cont < 4) {
    i--;
    cont++;
  }
  if (i < 0) return cont === 0;
  const lead = bytes[i] ?? 0;
  const need = lead < 0x80 ? 0 : lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : 1;
  return need === cont;
}
