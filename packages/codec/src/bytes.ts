/**
 * Byte-buffer helpers shared by the codec, its zlib subpath and the adapters.
 *
 * @module
 */

/**
 * The chunks as one buffer. One chunk is returned as it is (no copy), so the
 * result may share memory with the input.
 */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
