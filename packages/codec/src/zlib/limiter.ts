/**
 * A concurrency limit for node:zlib work. Each zlib job runs on libuv's
 * thread pool and holds its own buffers; thousands of connections inflating
 * at once would queue thousands of jobs and their memory. Jobs beyond the
 * limit wait in a FIFO queue (the same idea as ws's `Limiter`).
 *
 * @module
 */

/** Runs async jobs with at most `concurrency` in flight. */
export class ZlibLimiter {
  readonly #concurrency: number;
  readonly #queue: Array<() => void> = [];
  #running = 0;

  /** @param concurrency jobs allowed in flight at once, ≥ 1 (default 10). */
  constructor(concurrency = 10) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError('concurrency must be an integer >= 1');
    }
    this.#concurrency = concurrency;
  }

  /** Jobs in flight now. */
  get running(): number {
    return this.#running;
  }

  /** Jobs waiting for a slot. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Runs `job` once a slot is free; the slot is released when its promise settles. */
  run<T>(job: () => Promise<T>): Promise<T> {
    // Fast path, no extra promise: a free slot and nobody waiting.
    if (this.#running < this.#concurrency) return this.#start(job);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => {
        this.#start(job).then(resolve, reject);
      });
    });
  }

  #start<T>(job: () => Promise<T>): Promise<T> {
    this.#running++;
    let settled: Promise<T>;
    try {
      settled = job();
    } catch (error) {
      settled = Promise.reject(error as Error);
    }
    const release = (): void => {
      this.#running--;
      this.#queue.shift()?.();
    };
    settled.then(release, release);
    return settled;
  }
}

/** The limiter shared by every `zlibCompressor()` that is not given its own. */
export const sharedZlibLimiter = new ZlibLimiter(10);
