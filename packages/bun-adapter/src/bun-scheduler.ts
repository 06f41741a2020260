import type { Scheduler } from '@framewire/codec/adapter';

/**
 * The codec's clock and timers on Bun: `performance.now()` (monotonic) and
 * `setTimeout`. Timers are `unref`ed so an idle timer never keeps the
 * process alive by itself; open sockets and listeners do that.
 */
export const bunScheduler: Scheduler = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => {
    const handle = setTimeout(callback, delayMs);
    handle.unref();
    return handle;
  },
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
