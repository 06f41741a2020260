/** Fills `bytes` with random values. Injectable so tests are deterministic. */
export type RandomSource = (bytes: Uint8Array) => void;

const POOL_SIZE = 4096;
let pool = new Uint8Array(0);
let poolOffset = 0;

/**
 * Default random source: `crypto.getRandomValues`, drawn from a pooled buffer
 * so that masking small frames does not pay one crypto call per frame.
 */
export const defaultRandomSource: RandomSource = (bytes) => {
  if (bytes.length > POOL_SIZE) {
    // Node's typings accept only ArrayBuffer-backed views; any view works at run time.
    crypto.getRandomValues(bytes as Uint8Array<ArrayBuffer>);
    return;
  }
  if (poolOffset + bytes.length > pool.length) {
    pool = new Uint8Array(POOL_SIZE);
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  bytes.set(pool.subarray(poolOffset, poolOffset + bytes.length));
  poolOffset += bytes.length;
};
