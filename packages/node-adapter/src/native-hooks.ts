// The speed-ups Node offers the codec, handed to each connection the adapter
// makes (per-connection hooks, not process-wide setters): bufferutil's native
// mask when the application has it installed, and uninitialised allocation
// for buffers the codec overwrites completely.
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { setNativeMask, type CodecHooks, type NativeMask } from '@framewire/codec/adapter';

/** An environment variable, `undefined` where reading it is not allowed (Deno without --allow-env loads this module too). */
function envFlag(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

/** `bufferutil`'s mask when installed (as `ws` uses it), unless `FW_NO_NATIVE_MASK=1`. */
function findNativeMask(): NativeMask | undefined {
  if (envFlag('FW_NO_NATIVE_MASK') === '1') return undefined;
  try {
    const bufferutil = createRequire(import.meta.url)('bufferutil') as { mask?: NativeMask };
    return typeof bufferutil.mask === 'function' ? bufferutil.mask : undefined;
  } catch {
    return undefined; // not installed: the portable path is correct, only slower for large frames
  }
}

const nativeMask = findNativeMask();

/**
 * What every connection of this adapter gets: frames long enough (from 256 B when copied, 4 KiB in place)
 * (un)masked at native speed when `bufferutil` is installed, and large
 * buffers the codec fills completely allocated without a zero-fill
 * (`Buffer.allocUnsafeSlow`: each its own exactly-sized `ArrayBuffer`).
 */
export const nodeHooks: CodecHooks = {
  mask: nativeMask,
  allocate: (size) => Buffer.allocUnsafeSlow(size),
};

/** Whether `bufferutil` was found when the adapter loaded (its connections then mask natively). */
export const nativeMaskInUse: boolean = nativeMask !== undefined;

/**
 * For code that uses `@framewire/codec` directly, beside the adapter: plug
 * `bufferutil`'s mask in process-wide (the adapter's own connections already
 * have it through {@link nodeHooks}).
 *
 * @returns whether the native mask is in use.
 */
export function useNativeMaskIfInstalled(): boolean {
  if (nativeMask === undefined) return false;
  setNativeMask(nativeMask);
  return true;
}
