// Process-wide speed-ups the codec accepts from its host: bufferutil's native
// mask when installed, and uninitialised allocation for buffers it overwrites.
import { createRequire } from 'node:module';
import { Buffer } from 'node:buffer';
import { setNativeMask, setUninitializedAllocator, type NativeMask } from '@framewire/codec/adapter';

/**
 * Plugs `bufferutil`'s native masking into the codec when the application has
 * it installed, as `ws` does: frames of 256 B and more are then (un)masked at
 * native speed. Optional: without it the codec's portable word loop is used.
 * Set `FW_NO_NATIVE_MASK=1` to keep the portable path.
 *
 * @returns whether the native mask is in use.
 */
export function useNativeMaskIfInstalled(): boolean {
  if (process.env.FW_NO_NATIVE_MASK === '1') return false;
  try {
    const bufferutil = createRequire(import.meta.url)('bufferutil') as { mask?: NativeMask };
    if (typeof bufferutil.mask !== 'function') return false;
    setNativeMask(bufferutil.mask);
    return true;
  } catch {
    return false; // not installed: the portable path is correct, only slower for large frames
  }
}

/** Whether `bufferutil` was found when the adapter loaded. */
export const nativeMaskInUse: boolean = useNativeMaskIfInstalled();

// Large message buffers the codec fills completely need no zero-fill first:
// Buffer.allocUnsafeSlow gives each its own exactly-sized ArrayBuffer.
setUninitializedAllocator((size) => Buffer.allocUnsafeSlow(size));
