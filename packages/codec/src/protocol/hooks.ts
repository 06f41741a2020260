/**
 * Speed-ups a runtime may hand a connection (ARCHITECTURE.md: runtime-specific
 * speed-ups enter through small injectable hooks with a portable default).
 * Each connection carries its own: two adapters in one process, or a codec
 * used beside an adapter, never change each other's connections. A hook left
 * out falls back to the process-wide one (`setNativeMask`,
 * `setUninitializedAllocator` in `@framewire/codec/adapter`), then to the
 * portable code.
 *
 * @module
 */
import type { UninitializedAllocator } from './bytes.js';
import type { NativeMask } from './mask.js';

/** Per-connection speed-ups; see the module comment. */
export interface CodecHooks {
  /** Native RFC 6455 §5.3 masking (Node's `bufferutil.mask`), used from 256 bytes when copying and from 4 KiB in place (measured crossovers, see mask.ts). */
  readonly mask?: NativeMask | undefined;
  /** Uninitialised allocation for large buffers the codec overwrites completely (Node's `Buffer.allocUnsafeSlow`). */
  readonly allocate?: UninitializedAllocator | undefined;
}
