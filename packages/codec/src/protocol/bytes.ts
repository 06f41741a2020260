/**
 * Byte-buffer helpers shared by the codec, its zlib subpath and the adapters.
 *
 * @module
 */

/**
 * `chunks[from, to)` as one buffer (all of them by default). One chunk is
 * returned as it is (no copy), so the result may share memory with the input.
 */
export function concatBytes(chunks: readonly Uint8Array[], from = 0, to = chunks.length): Uint8Array {
  if (to - from === 1) return chunks[from]!;
  let total = 0;
  for (let i = from; i < to; i++) total += chunks[i]!.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = from; i < to; i++) {
    out.set(chunks[i]!, at);
    at += chunks[i]!.length;
  }
  return out;
}

/**
 * A function that returns `size` bytes of memory it does not initialise,
 * owning its own `ArrayBuffer` of exactly that size (Node's
 * `Buffer.allocUnsafeSlow`, never a pooled `Buffer.allocUnsafe`).
 */
export type UninitializedAllocator = (size: number) => Uint8Array;

/** Below this size zero-filling costs less than an off-heap allocation. */
const UNINITIALIZED_MIN = 4096;
let uninitialized: UninitializedAllocator | undefined;

/**
 * Plugs in (or, with `undefined`, removes) an allocator the codec uses for
 * large buffers it fills completely before anyone sees them: a message
 * assembled from pieces, a payload copied out of several chunks, a masked
 * frame being encoded. It skips the zero-fill `new Uint8Array` does (about a
 * tenth of the CPU of a 64 KiB echo). Process-wide, like {@link setNativeMask}:
 * prefer a connection's own `hooks.allocate` ({@link CodecHooks}), which the
 * adapters pass. A result that is not
 * exactly `size` bytes at offset 0 of its own `ArrayBuffer` is not used: the
 * codec never hands out a view whose `.buffer` holds stale memory.
 *
 * @example
 * ```ts
 * import { Buffer } from 'node:buffer';
 * setUninitializedAllocator((size) => Buffer.allocUnsafeSlow(size));
 * ```
 */
export function setUninitializedAllocator(allocate: UninitializedAllocator | undefined): void {
  uninitialized = allocate;
}

/**
 * `size` bytes the caller must overwrite entirely before exposing them (from
 * `allocate`, a connection's hook, else the process-wide allocator, for large
 * sizes), else zeroed memory.
 * @internal
 */
export function allocateForOverwrite(size: number, allocate?: UninitializedAllocator): Uint8Array {
  const uninitializedNow = allocate ?? uninitialized;
  if (uninitializedNow !== undefined && size >= UNINITIALIZED_MIN) {
    const out = uninitializedNow(size);
    if (out.byteOffset === 0 && out.length === size && out.buffer.byteLength === size) return out;
  }
  return new Uint8Array(size);
}

/**
 * `size` bytes starting `shift` bytes into a fresh buffer (for word
 * alignment); the `shift` bytes before them are zeroed, the rest must be
 * overwritten as with {@link allocateForOverwrite}.
 * @internal
 */
export function allocateShiftedForOverwrite(size: number, shift: number, allocate?: UninitializedAllocator): Uint8Array {
  if (shift === 0) return allocateForOverwrite(size, allocate);
  const whole = allocateForOverwrite(size + shift, allocate);
  whole.fill(0, 0, shift);
  return whole.subarray(shift);
}
