/**
 * How big the next `conn.read` buffer of a {@link ConnTransport} is, from the
 * size of the last read and how much of it came back.
 *
 * A pending read pins its buffer for as long as the peer is silent, so an
 * idle connection must hold only the small buffer; a busy one wants large
 * reads (each read is an async op and a promise).
 *
 * - A read that fills its buffer grows the next one ×4, up to `max`.
 * - A read that comes back less than a quarter full drops to `min` (the
 *   peer went quiet, or is about to) and remembers the size it dropped from.
 * - A `min`-sized read that fills again goes straight back to that
 *   remembered size: under steady traffic a short read is common, and
 *   stepping up ×4 from `min` again cost a 64 KiB echo four extra reads
 *   each time (about 1.2× the server CPU per message).
 *
 * @internal
 * @module
 */

/** The sizing state of one connection's reads. */
export interface ReadSizing {
  /** Size of the next read's buffer. */
  size: number;
  /** The size traffic had reached before the last short read (0: none). */
  burst: number;
}

/** The state before any read: `min`-sized reads, no burst remembered. */
export function initialReadSizing(min: number): ReadSizing {
  return { size: min, burst: 0 };
}

/**
 * Updates `sizing` after a read of `sizing.size` bytes returned `n` bytes
 * (`0 < n <= sizing.size`). Always leaves `min <= size <= max`.
 */
export function afterRead(sizing: ReadSizing, n: number, min: number, max: number): void {
  const size = sizing.size;
  if (n >= size) {
    sizing.size = size === min && sizing.burst > size ? sizing.burst : Math.min(size * 4, max);
  } else if (n * 4 < size) {
    if (size > min) sizing.burst = size;
    sizing.size = min;
  }
}
