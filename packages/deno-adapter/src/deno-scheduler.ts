import type { Scheduler } from '@framewire/codec/adapter';

/**
 * The codec's clock and timers on Deno: `performance.now()` (monotonic) and
 * `setTimeout`. Timers are unref'd (`Deno.unrefTimer`) so an idle timer never
 * keeps the process alive by itself; open connections and listeners do that.
 */
export const denoScheduler: Scheduler = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => {
    const id = setTimeout(callback, delayMs) as unknown as number;
    Deno.unrefTimer(id);
    return id;
  },
  clearTimer: (handle) => clearTimeout(handle as number),
};
